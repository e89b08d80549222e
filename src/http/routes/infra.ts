import type { RouteModule } from '../app.js';
import { requireToken } from '../auth.js';
import { InfraRequestSchema } from '../../infra/infra-request.js';
import type { DeploymentCreator } from '../../infra/create-deployment.js';
import { responses } from '../wire/common.js';
import { InfraCreatedWire, infraCreatedToWire } from '../wire/ops.js';

export interface InfraRouteDeps {
  creator: DeploymentCreator;
  /**
   * API_TOKEN. When unset the route is open, which is only safe because the service then refuses
   * to listen anywhere but loopback (assertSafeBinding in main.ts).
   */
  apiToken: string | undefined;
}

/**
 * POST /infra: create a deployment from Terraform files. Answers once the plan is made: 202 with
 * the action waiting for approval (or `prepare_failed` and why). Refused input (400/409) writes nothing.
 */
export function infraRoutes(deps: InfraRouteDeps): RouteModule {
  return (app) => {
    app.post(
      '/infra',
      {
        schema: {
          description:
            'Create a deployment from Terraform files ({"run_id", "files": {"main.tf": "..."}}). Planned in a staging dir; applied to RUNS_DIR/<run_id> only after approval.',
          body: InfraRequestSchema,
          response: responses({ 202: InfraCreatedWire }),
        },
        // Before parsing and validation: an unauthenticated caller learns nothing about the body rules.
        onRequest: requireToken(deps.apiToken, 'ERR_UNAUTHORIZED'),
        bodyLimit: 2 * 1024 * 1024,
      },
      async (req, reply) => {
        const actor = deps.apiToken === undefined ? 'api (loopback, no token)' : 'api';
        const r = await deps.creator.create(req.body, actor);
        return reply.code(202).send(infraCreatedToWire(r));
      },
    );
  };
}
