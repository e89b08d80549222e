import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import type { RegistryStore } from '../../registry/registry-store.js';
import type { RegistrySync } from '../../registry/registry-sync.js';
import { RUN_ID_PATTERN } from '../../registry/run-id.js';
import type { RouteModule } from '../app.js';
import { pageOf, responses } from '../wire/common.js';
import {
  DeploymentWire,
  ResourceWire,
  SyncReportWire,
  deploymentToWire,
  resourceToWire,
  syncReportToWire,
} from '../wire/registry.js';

export interface RegistryRouteDeps {
  store: RegistryStore;
  sync: RegistrySync;
}

const RunId = z
  .string()
  .regex(RUN_ID_PATTERN, 'must be a run_id: letters, digits, ".", "_", "-", not starting with "."');

/** Registry endpoints: sync (a write) and read views; access.ts checks the tokens. */
export function registryRoutes(deps: RegistryRouteDeps): RouteModule {
  return (app) => {
    app.post(
      '/ops/registry/sync',
      {
        schema: {
          description: 'Re-reads Terraform state of all deployments, or of one run_id, into the registry.',
          body: z.object({ run_id: RunId.optional() }).strict().nullish(),
          response: responses({ 200: z.strictObject({ reports: z.array(SyncReportWire) }) }),
        },
      },
      async (req) => {
        const runId = req.body?.run_id;
        const reports = runId === undefined ? await deps.sync.syncAll() : [await deps.sync.syncOne(runId)];
        return { reports: reports.map(syncReportToWire) };
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
          response: responses({ 200: pageOf(DeploymentWire) }),
        },
      },
      async (req) => {
        // Deployments are few (one per run dir): paged in memory, same list shape as every other list.
        const { limit, offset } = req.query;
        const all = deps.store.listDeployments();
        return {
          total: all.length,
          limit,
          offset,
          items: all.slice(offset, offset + limit).map((d) => deploymentToWire(d, all)),
        };
      },
    );

    app.get(
      '/ops/deployments/:run_id',
      {
        schema: {
          params: z.object({ run_id: RunId }),
          response: responses({
            200: z.strictObject({ deployment: DeploymentWire, resources: z.array(ResourceWire), total: z.number() }),
          }),
        },
      },
      async (req) => {
        const deployment = deps.store.getDeployment(req.params.run_id);
        if (deployment === undefined) {
          throw new AppError('ERR_DEPLOYMENT_NOT_FOUND', `deployment "${req.params.run_id}" is not in the registry`);
        }
        const page = deps.store.searchResources({ runId: req.params.run_id, limit: 500, offset: 0 });
        return {
          deployment: deploymentToWire(deployment, deps.store.listDeployments()),
          resources: page.items.map(resourceToWire),
          total: page.total,
        };
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
          response: responses({ 200: pageOf(ResourceWire) }),
        },
      },
      async (req) => {
        const { q, run_id: runId, status, limit, offset } = req.query;
        const page = deps.store.searchResources({ q, runId, status, limit, offset });
        return { total: page.total, limit, offset, items: page.items.map(resourceToWire) };
      },
    );
  };
}
