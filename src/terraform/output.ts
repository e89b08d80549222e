import { scrubText } from '../shared/redact.js';
import type { TerraformResult } from './terraform-runner.js';

/** One Terraform command as kept on the action: redacted, truncated, never the raw secret. */
export interface StepOutput {
  step: string;
  command: string;
  exitCode: number | null;
  durationMs: number;
  timedOut: boolean;
  output: string;
}

/** Terraform output kept per command: the head says what started, the tail says how it ended. */
export const MAX_OUTPUT_CHARS = 64 * 1024;

export function truncateMiddle(text: string, max = MAX_OUTPUT_CHARS): string {
  if (text.length <= max) return text;
  const head = Math.floor(max / 4);
  const tail = max - head;
  return `${text.slice(0, head)}\n… [${text.length - max} characters omitted] …\n${text.slice(text.length - tail)}`;
}

/** Redacts known secrets (and secret-looking tokens) and truncates. */
export function keepOutput(step: string, r: TerraformResult, secrets: Iterable<string>): StepOutput {
  const text = [r.stdout, r.stderr].filter((s) => s.trim() !== '').join('\n--- stderr ---\n');
  return {
    step,
    command: scrubText(r.command, secrets),
    exitCode: r.exitCode ?? null,
    durationMs: r.durationMs,
    timedOut: r.timedOut,
    output: truncateMiddle(scrubText(text, secrets)),
  };
}
