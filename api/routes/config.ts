/** /v1/config: re-read the config file, as SIGHUP does. A file that fails validation changes nothing. */
import type { FastifyInstance } from 'fastify';
import type { Control } from '../control.js';
import { run, waits } from './apps.js';
import { waitQuery } from '../schemas.js';

const reloadResult = {
  type: 'object',
  properties: {
    added: { type: 'array', items: { type: 'string' } },
    removed: { type: 'array', items: { type: 'string' } },
    changed: { type: 'array', items: { type: 'string' } },
    unchanged: { type: 'array', items: { type: 'string' } },
    errors: { type: 'array', items: { type: 'object', properties: { app: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } } },
  },
};

export function configRoutes(app: FastifyInstance, control: Control): void {
  app.post<{ Querystring: { wait?: 'true' | 'false' | '1' | '0' } }>(
    '/v1/config/reload',
    {
      schema: {
        summary: 'Re-read the config file: start added apps, remove dropped ones, roll changed ones',
        description: 'A file that fails validation answers 400 with its TSGI_ERR_CONFIG_* code and changes nothing. Per-app failures (a new app that does not boot) are listed in `errors`; the rest of the reload still happens.',
        tags: ['config'],
        querystring: waitQuery,
      },
      config: { ok: { status: 200, description: 'What the reload did, app by app', schema: reloadResult } },
    },
    async (req, reply) => run(reply, waits(req.query), control.reloadConfig(), (result) => result),
  );
}
