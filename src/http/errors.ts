import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError } from '../domain/errors.js';

/** Fastify's own error codes mapped to the spec's envelope codes. */
const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_request'],
};

/** Every error leaves as `{"error":{"code","message","field?"}}`; nothing else reaches a client. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ApiError, request, reply) => {
    if (err instanceof ApiError) {
      if (err.headers) reply.headers(err.headers);
      return reply.status(err.status).send(err.toJSON());
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const v = fe.validation[0];
      const missing = (v?.params as { missingProperty?: string } | undefined)?.missingProperty;
      const path = [fe.validationContext, ...(v?.instancePath ?? '').split('/').filter(Boolean), ...(missing ? [missing] : [])]
        .filter((p) => p && p !== 'body')
        .join('.');
      const message = `${path || fe.validationContext || 'request'} ${v?.message ?? 'is invalid'}`;
      return reply.status(400).send(new ApiError(400, 'invalid_request', message, path || undefined).toJSON());
    }
    const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
    if (mapped) return reply.status(mapped[0]).send(new ApiError(mapped[0], mapped[1], fe.message).toJSON());
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.status(fe.statusCode).send(new ApiError(fe.statusCode, 'invalid_request', fe.message).toJSON());
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send(new ApiError(500, 'internal_error', 'internal error').toJSON());
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(new ApiError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`).toJSON());
  });
}
