/**
 * The fix agent's rounds: when validate or plan fails after the edit, the diagnostics and the
 * failing file go to the LLM; a proposed file is accepted only if it still carries the intended
 * change and introduces nothing the configuration guard refuses (a provisioner, a filesystem
 * function, a new module source, … — the LLM reads alert text an attacker may write). The plan
 * gate afterwards refuses anything else the fix might have changed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AttributeEdit } from './edit-plan.js';
import { describeEdits } from './edit-plan.js';
import type { FixClient, HclEditor } from './ports.js';
import { fileNamedIn } from '../terraform/steps.js';
import { unifiedDiff } from '../plan/unified-diff.js';
import { listConfigFiles, readConfigFiles, writeFilesAtomic } from '../terraform/workspace-fs.js';
import { scrubText } from '../shared/redact.js';
import { maskSecrets } from '../hcl/config-secrets.js';
import { ConfigGuard } from '../infra/config-guard.js';
import type { Finding } from '../infra/expression-check.js';

export interface FixAttempt {
  round: number;
  fileName: string;
  diagnostics: string;
  accepted: boolean;
  reason?: string;
  diff?: string;
}

const MAX_DIAGNOSTICS = 4000;

/** Picks the file to fix: the one the diagnostics name, else the first edited file. */
function targetFile(staging: string, diagnostics: string, edited: readonly string[]): string | undefined {
  const names = listConfigFiles(staging);
  return (
    fileNamedIn(diagnostics, names) ?? edited.find((n) => names.includes(n)) ?? names.find((n) => n.endsWith('.tf'))
  );
}

/**
 * One round. Writes the accepted file into the staging copy (never the run dir). Never throws for
 * a bad proposal: it is recorded as not accepted.
 */
export async function fixRound(input: {
  round: number;
  staging: string;
  diagnostics: string;
  edits: readonly AttributeEdit[];
  edited: readonly string[];
  fix: FixClient;
  hcl: HclEditor;
  secrets: Iterable<string>;
  /** The allow-list guard (src/infra); one is created when not given. */
  guard?: ConfigGuard;
}): Promise<FixAttempt> {
  const diagnostics = scrubText(input.diagnostics, input.secrets).slice(0, MAX_DIAGNOSTICS);
  const fileName = targetFile(input.staging, diagnostics, input.edited);
  if (fileName === undefined)
    return { round: input.round, fileName: '', diagnostics, accepted: false, reason: 'no configuration file to fix' };
  const before = readFileSync(path.join(input.staging, fileName), 'utf8');
  // The agent sees placeholders, never the secrets; they are put back into its answer.
  const { masked, restore } = maskSecrets(before, input.secrets);
  const reply = await input.fix.proposeFix({
    fileName,
    fileContent: masked,
    diagnostics,
    intent: describeEdits(input.edits),
  });
  const base = { round: input.round, fileName, diagnostics };
  if ('error' in reply) return { ...base, accepted: false, reason: `fix agent: ${reply.error}` };
  const content = restore(reply.content);
  const diff = unifiedDiff(fileName, before, content);
  if (diff === '') return { ...base, accepted: false, reason: 'the proposed file is identical' };
  const current = readConfigFiles(input.staging);
  const proposed = { ...current, [fileName]: content };
  for (const edit of input.edits) {
    const had = await input.hcl.read(current, edit.address, edit.attributePath);
    const has = await input.hcl.read(proposed, edit.address, edit.attributePath);
    if (had !== has) {
      return {
        ...base,
        diff,
        accepted: false,
        reason: `the proposed file drops the intended change (${edit.attributePath.join('.')} would be ${JSON.stringify(has ?? null)})`,
      };
    }
  }
  const introduced = await newRefusals(input.guard ?? new ConfigGuard(), current, proposed);
  if (introduced.length > 0) {
    const list = introduced
      .slice(0, 3)
      .map((f) => f.message)
      .join('; ');
    return {
      ...base,
      diff,
      accepted: false,
      reason: `the proposed file introduces what the configuration guard refuses: ${list}`,
    };
  }
  writeFilesAtomic(input.staging, { [fileName]: content });
  return { ...base, diff, accepted: true };
}

/**
 * Refusals the proposal has and the current files do not. A deployment placed in RUNS_DIR by
 * hand may use what POST /infra refuses; the fix agent may keep that, never add to it.
 */
async function newRefusals(
  guard: ConfigGuard,
  current: Record<string, string>,
  proposed: Record<string, string>,
): Promise<Finding[]> {
  const before = new Set((await guard.findings(current)).map((f) => f.key));
  return (await guard.findings(proposed)).filter((f) => !before.has(f.key));
}
