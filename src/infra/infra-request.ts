import { z } from 'zod';
import { RUN_ID_PATTERN } from '../registry/run-id.js';

/**
 * Only plain configuration files directly in the run dir: no separators, no `..`, no hidden
 * files, only Terraform's own extensions (so nothing executable or data-like can be dropped).
 */
export const INFRA_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*\.(tf|tfvars|tf\.json|tfvars\.json)$/;
export const MAX_INFRA_FILES = 50;
export const MAX_INFRA_BYTES = 512 * 1024;

export const InfraRequestSchema = z
  .object({
    run_id: z
      .string()
      .regex(RUN_ID_PATTERN, 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ (no separators, no leading dot)'),
    files: z
      .record(
        z
          .string()
          .max(128)
          .regex(
            INFRA_FILE_NAME,
            'file names must be plain *.tf, *.tfvars, *.tf.json or *.tfvars.json names (no paths, no hidden files)',
          ),
        z.string().max(MAX_INFRA_BYTES),
      )
      .refine((f) => Object.keys(f).length > 0, 'at least one file is required')
      .refine((f) => Object.keys(f).length <= MAX_INFRA_FILES, `at most ${MAX_INFRA_FILES} files`)
      .refine(
        (f) => Object.keys(f).some((n) => n.endsWith('.tf') || n.endsWith('.tf.json')),
        'at least one .tf or .tf.json file is required',
      )
      .refine(
        (f) => Object.values(f).reduce((n, t) => n + Buffer.byteLength(t), 0) <= MAX_INFRA_BYTES,
        `files may total at most ${MAX_INFRA_BYTES} bytes`,
      ),
  })
  .strict();

export type InfraRequest = z.infer<typeof InfraRequestSchema>;
