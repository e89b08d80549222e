import { z } from 'zod';

/** One resource instance as `terraform show -json` writes it under `values.*_module.resources`. */
export const ShowResourceSchema = z.object({
  address: z.string().min(1),
  mode: z.enum(['managed', 'data']),
  type: z.string().min(1),
  name: z.string().min(1),
  index: z.union([z.number(), z.string()]).optional(),
  provider_name: z.string().min(1),
  // Checked as an object without copying it: a 50,000-instance state is large.
  values: z
    .custom<Record<string, unknown>>(
      (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
      'must be an object',
    )
    .nullable()
    .optional(),
  sensitive_values: z.unknown().optional(),
});
export type ShowResource = z.infer<typeof ShowResourceSchema>;

export interface ShowModule {
  address?: string | undefined;
  resources?: ShowResource[] | undefined;
  child_modules?: ShowModule[] | undefined;
}

export const ShowModuleSchema: z.ZodType<ShowModule> = z.lazy(() =>
  z.object({
    address: z.string().optional(),
    resources: z.array(ShowResourceSchema).optional(),
    child_modules: z.array(ShowModuleSchema).optional(),
  }),
);

/** `terraform show -json` of a state (PROTOCOLS.md §4). No `values` means there is no state yet. */
export const ShowStateSchema = z.object({
  format_version: z.string(),
  terraform_version: z.string().optional(),
  values: z
    .object({
      outputs: z
        .record(z.string(), z.object({ sensitive: z.boolean().optional(), value: z.unknown().optional() }))
        .optional(),
      root_module: ShowModuleSchema.optional(),
    })
    .optional(),
});
export type ShowState = z.infer<typeof ShowStateSchema>;

/** The two fields of the raw v4 state (`terraform state pull`) the registry keeps; nothing else is read. */
export const PulledStateMetaSchema = z.object({
  serial: z.number().int().nonnegative(),
  lineage: z.string().min(1),
});
