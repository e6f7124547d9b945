/**
 * /v1/apps: read the apps, add and remove them, act on them. Actions answer when done, or 202 at
 * once with ?wait=false (the outcome then shows in the app's status).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { appView, daemonView } from '../app-view.js';
import type { Control } from '../control.js';
import { checkNewApp, type NewAppLimits } from '../new-app.js';
import { addAppBody, appParams, errorBody, scaleBody, sinceQuery, waitQuery, workerParams } from '../schemas.js';
import { TsgiError } from '../../daemon/errors.js';
import { jobNotScalable } from '../../daemon/pool/cron-job.js';

type Action = 'start' | 'stop' | 'restart' | 'reload';
const ACTIONS: Record<Action, string> = {
  start: 'Start a stopped or failed app; answers once its workers are ready.',
  stop: 'Drain and stop the workers; the sockets stay open and hold new connections.',
  restart: 'Stop every worker, then start new ones.',
  reload: 'Rolling reload: new workers boot, then the old ones drain. New code that does not boot answers 422 TSGI_ERR_APP_BOOT and the old workers keep serving.',
};

interface NameParams { name: string }
interface WaitQuery { wait?: 'true' | 'false' | '1' | '0' }

const notFound = { 404: { ...errorBody, description: 'TSGI_ERR_APP_NOT_FOUND' } };
const appOk = (description: string, status = 200) => ({ ok: { status, description, schema: { type: 'object', properties: { app: { type: 'object', description: 'status and config of the app' } } } } });

export function appRoutes(app: FastifyInstance, control: Control, limits: NewAppLimits): void {
  const { maxWorkers } = limits;

  app.get('/v1/apps', { schema: { summary: 'The daemon and every app: state, workers, config (env keys only)', tags: ['apps'] } }, async () => daemonView(control));

  app.get<{ Params: NameParams }>(
    '/v1/apps/:name',
    { schema: { summary: "One app's status and the config in force (env keys only)", tags: ['apps'], params: appParams, response: notFound }, config: appOk('The app') },
    async (req) => ({ app: appView(control, req.params.name) }),
  );

  app.post<{ Querystring: WaitQuery; Body: { name: string } & Record<string, unknown> }>(
    '/v1/apps',
    {
      schema: { summary: 'Add an app: one YAML app entry as JSON, plus its name; answers once it runs', tags: ['apps'], querystring: waitQuery, body: addAppBody(maxWorkers) },
      config: appOk('The app, added and started', 201),
    },
    async (req, reply) => {
      const { name, ...input } = req.body;
      const config = checkNewApp(control, name, input, limits);
      return run(reply, waits(req.query), added(control.command({ kind: 'add', config, input })), () => ({ app: appView(control, name) }), 201);
    },
  );

  app.delete<{ Params: NameParams; Querystring: WaitQuery }>(
    '/v1/apps/:name',
    { schema: { summary: 'Drain and remove an app, closing its sockets', tags: ['apps'], params: appParams, querystring: waitQuery, response: notFound }, config: { ok: { status: 200, description: 'Removed', schema: { type: 'object', properties: { removed: { type: 'string' } } } } } },
    async (req, reply) => {
      const { name } = req.params;
      control.appStatus(name); // 404 before queueing anything
      return run(reply, waits(req.query), control.command({ kind: 'remove', app: name }), () => ({ removed: name }));
    },
  );

  for (const [action, description] of Object.entries(ACTIONS) as [Action, string][]) {
    app.post<{ Params: NameParams; Querystring: WaitQuery }>(
      `/v1/apps/:name/${action}`,
      { schema: { summary: `${action[0]!.toUpperCase()}${action.slice(1)} an app`, description, tags: ['apps'], params: appParams, querystring: waitQuery, response: notFound }, config: appOk('The app, once done') },
      async (req, reply) => {
        const { name } = req.params;
        control.appStatus(name);
        return run(reply, waits(req.query), control.command({ kind: action, app: name }), () => ({ app: appView(control, name) }));
      },
    );
  }

  app.post<{ Params: NameParams; Querystring: WaitQuery; Body: { workers: number | string } }>(
    '/v1/apps/:name/scale',
    {
      schema: { summary: 'Set the number of workers: N, "+N" or "-N"; scaling down drains', tags: ['apps'], params: appParams, querystring: waitQuery, body: scaleBody(maxWorkers), response: { ...notFound, 409: { ...errorBody, description: 'TSGI_ERR_JOB_NOT_SCALABLE: the app is a scheduled job (cron)' } } },
      config: appOk('The app, at its new size'),
    },
    async (req, reply) => {
      const { name } = req.params;
      const st = control.appStatus(name);
      // refused before the command is queued: write-back would otherwise put `workers` into the job's YAML
      if (st.job !== null) throw jobNotScalable(name);
      const current = st.target;
      const w = req.body.workers;
      const workers = typeof w === 'number' ? w : current + Number(w);
      if (workers < 1 || workers > maxWorkers) {
        throw new TsgiError('TSGI_ERR_API_VALIDATION', `workers: ${w} would make ${workers}; expected 1 to ${maxWorkers}`);
      }
      return run(reply, waits(req.query), control.command({ kind: 'scale', app: name, workers }), () => ({ app: appView(control, name) }));
    },
  );

  app.post<{ Params: NameParams & { id: string }; Querystring: WaitQuery }>(
    '/v1/apps/:name/workers/:id/stop',
    {
      schema: {
        summary: 'Stop one worker gracefully: a replacement boots, then this one drains (max_requests does the same)',
        tags: ['apps'],
        params: workerParams,
        querystring: waitQuery,
        response: { 404: { ...errorBody, description: 'TSGI_ERR_APP_NOT_FOUND, TSGI_ERR_WORKER_NOT_FOUND' }, 409: { ...errorBody, description: 'TSGI_ERR_WORKER_NOT_READY' } },
      },
      config: appOk('The app, once the worker is gone'),
    },
    async (req, reply) => {
      const { name, id } = req.params;
      control.appStatus(name);
      return run(reply, waits(req.query), control.command({ kind: 'stop-worker', app: name, worker: Number(id) }), () => ({ app: appView(control, name) }));
    },
  );

  app.post<{ Params: NameParams }>(
    '/v1/apps/:name/run',
    {
      schema: {
        summary: 'Start a run of a scheduled job (`cron`) now, or queue it behind the one going (overlap: queue); the run then shows in `job.runs`',
        tags: ['apps'],
        params: appParams,
        response: { 404: { ...errorBody, description: 'TSGI_ERR_APP_NOT_FOUND' }, 409: { ...errorBody, description: 'TSGI_ERR_JOB_RUNNING, TSGI_ERR_JOB_NOT_SCHEDULED' } },
      },
      config: { ok: { status: 200, description: 'Started or queued', schema: { type: 'object', properties: { run: { type: 'string', enum: ['started', 'queued'] }, app: { type: 'object', description: 'status and config of the app' } } } } },
    },
    async (req) => {
      const { name } = req.params;
      const run = await control.runJob(name);
      return { run, app: appView(control, name) };
    },
  );

  app.get<{ Params: NameParams; Querystring: { since?: string } }>(
    '/v1/apps/:name/history',
    {
      schema: { summary: "The app's last minutes, one point per stats_interval (15 min at 1 s): requests/s by status class, p50/p99 latency, rss and cpu per worker, exits", tags: ['apps'], params: appParams, querystring: sinceQuery, response: notFound },
      config: { ok: { status: 200, description: 'Aligned series, oldest first; null where nothing was measured', schema: { type: 'object', properties: { interval_ms: { type: 'integer' }, t: { type: 'array', items: { type: 'number' } }, requests: { type: 'object' }, latency: { type: 'object' }, workers: { type: 'array' }, restarts: { type: 'array' } } } } },
    },
    async (req) => control.history(req.params.name, req.query.since === undefined ? undefined : Number(req.query.since)),
  );
}

/** An added app whose code does not boot stays, marked failed, as one from the file would: say so, as a boot error. */
async function added(action: Promise<void>): Promise<void> {
  try {
    await action;
  } catch (err) {
    if (!(err instanceof TsgiError) || err.code !== 'TSGI_ERR_APP_FAILED') throw err;
    throw new TsgiError('TSGI_ERR_APP_BOOT', `${err.message} (the app was added, marked failed: fix it and start it, or remove it)`, { cause: err });
  }
}

export function waits(q: WaitQuery): boolean {
  return q.wait !== 'false' && q.wait !== '0';
}

/** Answer `done()` once the action has finished, or 202 at once when the caller won't wait. */
export async function run<T>(reply: FastifyReply, wait: boolean, action: Promise<T>, done: (result: T) => unknown, status = 200): Promise<unknown> {
  if (!wait) {
    action.catch(() => {}); // the outcome shows in status
    return reply.code(202).send({ accepted: true });
  }
  const result = await action;
  return reply.code(status).send(done(result));
}
