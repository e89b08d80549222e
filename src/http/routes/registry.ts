import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import type { RegistryStore } from '../../registry/registry-store.js';
import type { RegistrySync } from '../../registry/registry-sync.js';
import { RUN_ID_PATTERN } from '../../registry/run-id.js';
import type { RouteModule } from '../app.js';

export interface RegistryRouteDeps {
  store: RegistryStore;
  sync: RegistrySync;
}

const RunId = z.string().regex(RUN_ID_PATTERN, 'must be a run_id: letters, digits, ".", "_", "-", not starting with "."');

const ResourceSchema = z.object({
  runId: z.string(),
  address: z.string(),
  blockAddress: z.string(),
  modulePath: z.string(),
  mode: z.enum(['managed', 'data']),
  type: z.string(),
  name: z.string(),
  indexKey: z.union([z.number(), z.string()]).nullable(),
  provider: z.string(),
  cloudId: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  status: z.enum(['present', 'gone']),
});

const DeploymentSchema = z.object({
  runId: z.string(),
  dir: z.string(),
  status: z.enum(['active', 'failed', 'destroyed', 'uninitialised']),
  stateSerial: z.number().nullable(),
  stateLineage: z.string().nullable(),
  terraformVersion: z.string().nullable(),
  resourceCount: z.number(),
  lastError: z.string().nullable(),
  syncedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const SyncReportSchema = z.object({
  runId: z.string(),
  outcome: z.enum(['changed', 'unchanged', 'failed']),
  status: DeploymentSchema.shape.status.nullable(),
  bootstrapped: z.boolean(),
  error: z.string().optional(),
  counts: z.object({ added: z.number(), updated: z.number(), gone: z.number(), revived: z.number() }).optional(),
});

/** Registry endpoints: sync (a write) and read views; access.ts checks the tokens. */
export function registryRoutes(deps: RegistryRouteDeps): RouteModule {
  return (app) => {
    app.post(
      '/ops/registry/sync',
      {
        schema: {
          description: 'Re-reads Terraform state of all deployments, or of one run_id, into the registry.',
          body: z.object({ run_id: RunId.optional() }).strict().nullish(),
          response: { 200: z.object({ reports: z.array(SyncReportSchema) }) },
        },
      },
      async (req) => {
        const runId = req.body?.run_id;
        const reports = runId === undefined ? await deps.sync.syncAll() : [await deps.sync.syncOne(runId)];
        return { reports };
      },
    );

    app.get(
      '/ops/deployments',
      {
        schema: {
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(500).default(100),
            offset: z.coerce.number().int().min(0).default(0),
          }),
          response: { 200: z.object({ total: z.number(), limit: z.number(), offset: z.number(), items: z.array(DeploymentSchema) }) },
        },
      },
      async (req) => {
        // Deployments are few (one per run dir): paged in memory, same list shape as every other list.
        const { limit, offset } = req.query;
        const all = deps.store.listDeployments();
        return { total: all.length, limit, offset, items: all.slice(offset, offset + limit) };
      },
    );

    app.get(
      '/ops/deployments/:runId',
      {
        schema: {
          params: z.object({ runId: RunId }),
          response: { 200: z.object({ deployment: DeploymentSchema, resources: z.array(ResourceSchema), total: z.number() }) },
        },
      },
      async (req) => {
        const deployment = deps.store.getDeployment(req.params.runId);
        if (deployment === undefined) {
          throw new AppError('ERR_DEPLOYMENT_NOT_FOUND', `deployment "${req.params.runId}" is not in the registry`);
        }
        const page = deps.store.searchResources({ runId: req.params.runId, limit: 500, offset: 0 });
        return { deployment, resources: page.items, total: page.total };
      },
    );

    app.get(
      '/ops/resources',
      {
        schema: {
          querystring: z.object({
            q: z.string().max(512).optional(),
            run_id: RunId.optional(),
            status: z.enum(['present', 'gone']).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(50),
            offset: z.coerce.number().int().min(0).default(0),
          }),
          response: {
            200: z.object({ total: z.number(), limit: z.number(), offset: z.number(), items: z.array(ResourceSchema) }),
          },
        },
      },
      async (req) => {
        const { q, run_id: runId, status, limit, offset } = req.query;
        const page = deps.store.searchResources({ q, runId, status, limit, offset });
        return { total: page.total, limit, offset, items: page.items };
      },
    );
  };
}
