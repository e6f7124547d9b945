/** Every failure the admin API answers becomes `{ error: { code, message } }` from the one catalog. */
import type { FastifyError, FastifyInstance } from 'fastify';
import { isTsgiError, TsgiError } from '../daemon/errors.js';

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const coded = toTsgiError(err);
    if (coded.status >= 500) req.log.error({ err }, 'admin API error');
    void reply.code(coded.status).send(coded.toJSON());
  });
  app.setNotFoundHandler((req, reply) => {
    const err = new TsgiError('TSGI_ERR_API_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
    void reply.code(err.status).send(err.toJSON());
  });
}

function toTsgiError(err: FastifyError): TsgiError {
  if (isTsgiError(err)) return err;
  if (err.validation !== undefined) return new TsgiError('TSGI_ERR_API_VALIDATION', err.message, { cause: err });
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new TsgiError('TSGI_ERR_API_BODY_TOO_LARGE', err.message, { cause: err });
  // malformed JSON, wrong content type, empty body: the caller's fault, said plainly
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new TsgiError('TSGI_ERR_API_VALIDATION', err.message, { cause: err });
  }
  return new TsgiError('TSGI_ERR_API_INTERNAL', 'internal error; see the daemon log', { cause: err });
}
