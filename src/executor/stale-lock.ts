/**
 * After a crash: Terraform's local backend leaves `.terraform.tfstate.lock.info` behind when the
 * process holding the lock was killed. The OS lock itself died with it (local state is free), but
 * a remote backend's lock would not be: say so, with the lock id and the command that clears it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const LOCK_INFO_FILE = '.terraform.tfstate.lock.info';

/** A sentence for the action's reason and the log, or undefined when no lock info was left behind. */
export function staleLockNote(runDir: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(runDir, LOCK_INFO_FILE), 'utf8');
  } catch {
    return undefined;
  }
  let id = '<ID>';
  try {
    const parsed = JSON.parse(text) as { ID?: unknown };
    if (typeof parsed.ID === 'string') id = parsed.ID;
  } catch {
    // an unreadable info file still means a lock was left
  }
  return (
    `Terraform left ${LOCK_INFO_FILE} (lock ${id}) in ${runDir}; once no terraform process runs there, ` +
    `free it with \`terraform force-unlock ${id}\` in that directory`
  );
}
