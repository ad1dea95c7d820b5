// The one place that renders errors: every failure leaves as the spec's
// `{"errors":[{"code","message","detail"}]}`, bad input as a 4xx, never a 5xx.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError, isRegistryError, type ErrorCode } from '../domain/errors.js';

/** Fastify's own 4xx errors (bad headers, unsupported media types...) in the spec's shape. */
function fromFastifyError(error: FastifyError): RegistryError {
  const status = error.statusCode ?? 500;
  if (status >= 500) return new RegistryError('INTERNAL', 'internal server error', { cause: error });
  const code: ErrorCode = status === 413 ? 'SIZE_INVALID' : status === 404 ? 'NAME_UNKNOWN' : 'UNSUPPORTED';
  return new RegistryError(code, error.message, { status, detail: { reason: error.code } });
}

/**
 * Errors Fastify raises before any route or hook runs (a URL with malformed percent
 * encoding, a bad Content-Type): the `frameworkErrors` option of the Fastify constructor,
 * so that even these answer in the spec's shape.
 */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const registryError = fromFastifyError(error);
  void reply.code(registryError.status).headers(registryError.headers).type('application/json').send(registryError.toBody());
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const registryError = isRegistryError(error) ? error : fromFastifyError(error);
    // A failure of ours is an error with its stack; an answer the client should act on (4xx,
    // or a 503 with Retry-After such as content waiting for its scan) is an info line.
    const expected = registryError.status < 500 || registryError.headers['retry-after'] !== undefined;
    if (expected) request.log.info({ code: registryError.code, detail: registryError.detail }, registryError.message);
    else request.log.error({ err: error }, 'request failed');
    if (reply.sent || reply.raw.headersSent) return;
    void reply.code(registryError.status).headers(registryError.headers).type('application/json').send(registryError.toBody());
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new RegistryError('UNSUPPORTED', `no such endpoint: ${request.method} ${request.url.split('?')[0]}`, { status: 404 });
    void reply.code(404).type('application/json').send(error.toBody());
  });
}
