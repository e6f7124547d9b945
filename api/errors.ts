/** Every failure the admin API answers becomes `{ error: { code, message } }` from the one catalog. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isTsgiError, TsgiError } from '../daemon/errors.js';
import type { Logger } from '../daemon/log.js';

export function installErrorHandling(app: FastifyInstance, log: Logger | undefined): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const coded = toTsgiError(err);
    if (coded.status >= 500) log?.error(`admin API: ${req.method} ${req.url}: ${err.stack ?? err.message}`);
    void reply.code(coded.status).send(coded.toJSON());
  });
  app.setNotFoundHandler((req, reply) => {
    const err = new TsgiError('TSGI_ERR_API_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
    void reply.code(err.status).send(err.toJSON());
  });
}

/** For the router's own refusals (a bad %-encoding, an over-long parameter), which bypass the error handler. */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const coded = toTsgiError(err);
  void reply.code(coded.status).send(coded.toJSON());
}

export function toTsgiError(err: FastifyError): TsgiError {
  if (isTsgiError(err)) return err;
  if (err.validation !== undefined) return new TsgiError('TSGI_ERR_API_VALIDATION', err.message, { cause: err });
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new TsgiError('TSGI_ERR_API_BODY_TOO_LARGE', err.message, { cause: err });
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new TsgiError('TSGI_ERR_API_CONTENT_TYPE', err.message, { cause: err });
  // malformed JSON, empty JSON body, a bad URL encoding: the caller's fault, said plainly
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new TsgiError('TSGI_ERR_API_VALIDATION', err.message, { cause: err });
  }
  return new TsgiError('TSGI_ERR_API_INTERNAL', 'internal error; see the daemon log', { cause: err });
}
