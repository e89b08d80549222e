import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

/** The per-deployment settings file, in the run dir (like Atlantis' `atlantis.yaml`). */
export const SETTINGS_FILE = 'infraai.yaml';

const VAR_FILE = z
  .string()
  .min(1)
  .max(255)
  .refine((f) => !path.isAbsolute(f) && !f.split(/[\\/]/).includes('..'), {
    message: 'must be a path inside the run dir (no "..", not absolute)',
  })
  .refine((f) => /\.tfvars(\.json)?$/.test(f), { message: 'must end in .tfvars or .tfvars.json' });

const LABEL_NAME = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name');

export const DeploymentSettingsSchema = z
  .object({
    /** Passed as `-var-file` in this order to every plan and apply of the deployment. */
    var_files: z.array(VAR_FILE).max(32).default([]),
    /** Terraform workspace selected for the deployment (`terraform workspace select`). */
    workspace: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,90}$/, 'must be a Terraform workspace name (letters, digits, _ and -)')
      .optional(),
    /** Who owns the deployment (shown to people; not used for routing). */
    owners: z.array(z.string().min(1).max(200)).max(50).default([]),
    /** Alert labels that select this deployment: an alert carrying all of them belongs here. */
    labels: z.record(LABEL_NAME, z.string().min(1).max(200)).default({}),
  })
  .strict();

export type DeploymentSettings = z.infer<typeof DeploymentSettingsSchema>;

export const DEFAULT_SETTINGS: DeploymentSettings = { var_files: [], owners: [], labels: {} };

export type SettingsRead = { ok: true; settings: DeploymentSettings; present: boolean } | { ok: false; error: string };

/** Parses the file's text; the error names the file and the field. Pure. */
export function parseDeploymentSettings(text: string): SettingsRead {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    return { ok: false, error: `${SETTINGS_FILE}: not valid YAML: ${(err as Error).message.split('\n')[0] ?? ''}` };
  }
  const parsed = DeploymentSettingsSchema.safeParse(raw ?? {});
  if (parsed.success) return { ok: true, settings: parsed.data, present: true };
  const issue = parsed.error.issues[0];
  const field = issue === undefined || issue.path.length === 0 ? '(top level)' : issue.path.join('.');
  const keys = issue?.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
  return { ok: false, error: `${SETTINGS_FILE}: ${field}: ${issue?.message ?? 'invalid'}${keys}` };
}

/**
 * Reads `<dir>/infraai.yaml`; no file means the defaults. Every var file it names must exist.
 * Never throws.
 */
export function readDeploymentSettings(dir: string): SettingsRead {
  const file = path.join(dir, SETTINGS_FILE);
  if (!existsSync(file)) return { ok: true, settings: DEFAULT_SETTINGS, present: false };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, error: `${SETTINGS_FILE}: cannot be read: ${(err as Error).message}` };
  }
  const read = parseDeploymentSettings(text);
  if (!read.ok) return read;
  const missing = read.settings.var_files.findIndex((f) => !existsSync(path.join(dir, f)));
  if (missing >= 0)
    return {
      ok: false,
      error: `${SETTINGS_FILE}: var_files.${missing}: "${read.settings.var_files[missing] ?? ''}" does not exist in the run dir`,
    };
  return read;
}

/** True when the alert carries every label the deployment's settings name (and it names at least one). Pure. */
export function labelsSelect(
  settingsLabels: Readonly<Record<string, string>>,
  alertLabels: Readonly<Record<string, string>>,
): boolean {
  const entries = Object.entries(settingsLabels);
  return entries.length > 0 && entries.every(([k, v]) => Object.hasOwn(alertLabels, k) && alertLabels[k] === v);
}
