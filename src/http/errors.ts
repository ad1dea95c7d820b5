// The one place that renders errors: every failure leaves as the spec's
// `{"errors":[{"code","message","detail"}]}`, bad input as a 4xx, never a 5xx.
import type { FastifyError, FastifyInstance } from 'fastify';
import { RegistryError, isRegistryError, type ErrorCode } from '../domain/errors.js';

/** Fastify's own 4xx errors (bad headers, unsupported media types...) in the spec's shape. */
function fromFastifyError(error: FastifyError): RegistryError {
  const status = error.statusCode ?? 500;
  if (status >= 500) return new RegistryError('INTERNAL', 'internal server error', { cause: error });
  const code: ErrorCode = status === 413 ? 'SIZE_INVALID' : status === 404 ? 'NAME_UNKNOWN' : 'UNSUPPORTED';
  return new RegistryError(code, error.message, { status, detail: { reason: error.code } });
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const registryError = isRegistryError(error) ? error : fromFastifyError(error);
    if (registryError.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: registryError.code, detail: registryError.detail }, registryError.message);
    if (reply.sent || reply.raw.headersSent) return;
    void reply.code(registryError.status).headers(registryError.headers).type('application/json').send(registryError.toBody());
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new RegistryError('UNSUPPORTED', `no such endpoint: ${request.method} ${request.url.split('?')[0]}`, { status: 404 });
    void reply.code(404).type('application/json').send(error.toBody());
  });
}
