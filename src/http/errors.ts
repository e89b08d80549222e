import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, ERROR_STATUS, type ErrorCode } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'ERR_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'ERR_VALIDATION',
  FST_ERR_CTP_INVALID_JSON_BODY: 'ERR_VALIDATION',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'ERR_BAD_REQUEST',
};

/** Maps every error to `{"error":{"code","message"}}` with the status from the one registry. */
export function installErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    if (err instanceof AppError) {
      if (err.status >= 500)
        logger.error({ err: { code: err.code, message: err.message }, url: req.url }, 'request failed');
      const body: ErrorBody = { error: { code: err.code, message: err.message } };
      if (err.details !== undefined && err.status < 500) body.error.details = err.details;
      return reply.code(err.status).send(body);
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const details = err.validation.map((v) => ({
        field: `${err.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')}`,
        message: v.message,
      }));
      const first = details[0];
      const message = first ? `invalid request: ${first.field}: ${first.message}` : 'invalid request';
      return reply.code(400).send({ error: { code: 'ERR_VALIDATION', message, details } } satisfies ErrorBody);
    }
    const fe = err as FastifyError;
    const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
    if (mapped) {
      return reply
        .code(ERROR_STATUS[mapped])
        .send({ error: { code: mapped, message: fe.message } } satisfies ErrorBody);
    }
    if (fe.validation) {
      return reply.code(400).send({ error: { code: 'ERR_VALIDATION', message: fe.message } } satisfies ErrorBody);
    }
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply
        .code(fe.statusCode)
        .send({ error: { code: 'ERR_BAD_REQUEST', message: fe.message } } satisfies ErrorBody);
    }
    // A handler returned a body its wire schema does not describe (src/http/wire/): a bug, logged with the cause.
    const cause = (err as { cause?: unknown }).cause;
    const why = cause instanceof Error ? cause.message : undefined;
    logger.error(
      { err: { message: err.message, stack: err.stack, ...(why ? { cause: why } : {}) }, url: req.url },
      'unhandled error',
    );
    return reply.code(500).send({ error: { code: 'ERR_INTERNAL', message: 'internal error' } } satisfies ErrorBody);
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .send({ error: { code: 'ERR_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } }),
  );
}
