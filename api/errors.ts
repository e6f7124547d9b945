/** Every failure the admin API answers becomes `{ error: { code, message } }` from the one catalog. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isTsgiError, TsgiError } from '../daemon/errors.js';
import type { Logger } from '../daemon/log.js';
import { validationMessage, type AjvError } from './validation-message.js';

export function installErrorHandling(app: FastifyInstance, log: Logger | undefined): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const coded = toTsgiError(err, req);
    if (coded.status >= 500) log?.error(`admin API: ${req.method} ${req.url}: ${err.stack ?? err.message}`);
    void reply.code(coded.status).send(coded.toJSON());
  });
  app.setNotFoundHandler((req, reply) => {
    const err = new TsgiError('TSGI_ERR_API_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
    void reply.code(err.status).send(err.toJSON());
  });
}

/** For the router's own refusals (a bad %-encoding, an over-long parameter), which bypass the error handler. */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const coded = toTsgiError(err, req);
  void reply.code(coded.status).send(coded.toJSON());
}

export function toTsgiError(err: FastifyError, req?: FastifyRequest): TsgiError {
  if (isTsgiError(err)) return err;
  if (err.validation !== undefined) {
    const context = err.validationContext;
    const schemas = req?.routeOptions?.schema as Record<string, unknown> | undefined;
    const schema = context === undefined ? undefined : (schemas?.[context] as Record<string, unknown> | undefined);
    return new TsgiError('TSGI_ERR_API_VALIDATION', validationMessage(err.validation as unknown as AjvError[], context, schema), { cause: err });
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new TsgiError('TSGI_ERR_API_BODY_TOO_LARGE', err.message, { cause: err });
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new TsgiError('TSGI_ERR_API_CONTENT_TYPE', err.message, { cause: err });
  // malformed JSON, empty JSON body, a bad URL encoding: the caller's fault, said plainly
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new TsgiError('TSGI_ERR_API_VALIDATION', err.message, { cause: err });
  }
  return new TsgiError('TSGI_ERR_API_INTERNAL', 'internal error; see the daemon log', { cause: err });
}
