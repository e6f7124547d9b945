/**
 * /v1/config: re-read the config file, as SIGHUP does (a file that fails validation changes
 * nothing), and say beforehand what that would do (`kubectl diff`, supervisord's `reread`).
 */
import type { FastifyInstance } from 'fastify';
import type { Control } from '../control.js';
import { run, waits } from './apps.js';
import { waitQuery } from '../schemas.js';

const names = { type: 'array', items: { type: 'string' } };
const reloadResult = {
  type: 'object',
  properties: {
    added: names,
    removed: names,
    changed: names,
    started: names,
    stopped: names,
    unchanged: names,
    errors: { type: 'array', items: { type: 'object', properties: { app: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } } },
  },
};

const planSchema = {
  type: 'object',
  properties: {
    file: { type: 'string' },
    apps: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          app: { type: 'string' },
          action: { type: 'string', enum: ['add', 'remove', 'roll', 'start', 'stop', 'update', 'unchanged'] },
          changes: { type: 'array', items: { type: 'object', properties: { key: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } } } },
        },
      },
    },
    needs_restart: names,
  },
};

const PLAN = 'add: the app starts; remove: it drains and goes; roll: rolling reload onto the new settings; start/stop: its `autostart` changed; update: a stopped app gets new settings and stays stopped; unchanged: not touched. `changes` lists each setting that differs (env values never shown). Changes made through the API are already in the file (they are written back), so they show as unchanged; an edit of the file shows here until reloaded.';

const reloadQuery = { ...waitQuery, properties: { ...waitQuery.properties, dry_run: { type: 'string', enum: ['true', 'false', '1', '0'], description: 'Only say what the reload would do (the body of GET /v1/config/diff); change nothing' } } };

export function configRoutes(app: FastifyInstance, control: Control): void {
  app.post<{ Querystring: { wait?: 'true' | 'false' | '1' | '0'; dry_run?: 'true' | 'false' | '1' | '0' } }>(
    '/v1/config/reload',
    {
      schema: {
        summary: 'Re-read the config file: start added apps, remove dropped ones, roll changed ones',
        description: 'A file that fails validation answers 400 with its TSGI_ERR_CONFIG_* code and changes nothing. Per-app failures (a new app that does not boot) are listed in `errors`; the rest of the reload still happens. With ?dry_run=true: the plan, as GET /v1/config/diff, and nothing done.',
        tags: ['config'],
        querystring: reloadQuery,
      },
      config: { ok: { status: 200, description: 'What the reload did, app by app', schema: reloadResult } },
    },
    async (req, reply) => {
      if (req.query.dry_run === 'true' || req.query.dry_run === '1') return control.planConfigReload();
      return run(reply, waits(req.query), control.reloadConfig(), (result) => result);
    },
  );

  app.get(
    '/v1/config/diff',
    { schema: { summary: 'What a config reload would do now, app by app and setting by setting', description: PLAN, tags: ['config'] }, config: { ok: { status: 200, description: 'The plan', schema: planSchema } } },
    async () => control.planConfigReload(),
  );
}
