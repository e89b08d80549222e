import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

/**
 * OpenAPI generated from the routes' zod schemas; UI at /docs, spec at /docs/json.
 * Must be registered before any route so @fastify/swagger's onRoute hook sees them all.
 * The UI's assets are served from node_modules by @fastify/swagger-ui: no CDN, works offline.
 */
export async function registerOpenApi(app: FastifyInstance, info: OpenApiInfo): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: info.title,
        version: info.version,
        ...(info.description !== undefined ? { description: info.description } : {}),
      },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description:
              'API_TOKEN (every route but /health, /metrics, /ops/ui-config, the page and /docs), READ_TOKEN (reads only) or WEBHOOK_TOKEN (webhook), when set',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: false } });
}
