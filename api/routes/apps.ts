/** /v1/apps: read the apps and act on them. Actions return when done, or 202 at once with ?wait=false. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Control } from '../control.js';
import { TsgiError } from '../../daemon/errors.js';
import { appParams, errorBody, scaleBody, waitQuery } from '../schemas.js';

type Action = 'start' | 'stop' | 'restart' | 'reload';
const ACTIONS: readonly Action[] = ['start', 'stop', 'restart', 'reload'];

interface NameParams { name: string }
interface WaitQuery { wait?: 'true' | 'false' | '1' | '0' }

function waits(q: WaitQuery): boolean {
  return q.wait !== 'false' && q.wait !== '0';
}

export function appRoutes(app: FastifyInstance, control: Control, maxWorkers: number): void {
  app.get('/v1/apps', async () => ({ apps: control.status().apps }));

  app.get<{ Params: NameParams }>('/v1/apps/:name', { schema: { params: appParams, response: { 404: errorBody } } }, async (req) => ({
    app: control.appStatus(req.params.name),
  }));

  for (const action of ACTIONS) {
    app.post<{ Params: NameParams; Querystring: WaitQuery }>(
      `/v1/apps/:name/${action}`,
      { schema: { params: appParams, querystring: waitQuery } },
      async (req, reply) => {
        control.appStatus(req.params.name); // 404 before queueing anything
        return run(reply, waits(req.query), control.command({ kind: action, app: req.params.name }), () => control.appStatus(req.params.name));
      },
    );
  }

  app.post<{ Params: NameParams; Querystring: WaitQuery; Body: { workers: number | string } }>(
    '/v1/apps/:name/scale',
    { schema: { params: appParams, querystring: waitQuery, body: scaleBody(maxWorkers) } },
    async (req, reply) => {
      const { name } = req.params;
      const current = control.appStatus(name).target;
      const w = req.body.workers;
      const workers = typeof w === 'number' ? w : current + Number(w);
      if (workers < 1 || workers > maxWorkers) {
        throw new TsgiError('TSGI_ERR_API_VALIDATION', `workers: ${w} would make ${workers}; expected 1 to ${maxWorkers}`);
      }
      return run(reply, waits(req.query), control.command({ kind: 'scale', app: name, workers }), () => control.appStatus(name));
    },
  );
}

/** Answer with the app's status once the action is done, or 202 at once when the caller won't wait. */
export async function run(reply: FastifyReply, wait: boolean, action: Promise<void>, after: () => unknown): Promise<unknown> {
  if (!wait) {
    action.catch(() => {}); // the outcome shows in status
    return reply.code(202).send({ accepted: true });
  }
  await action;
  return { app: after() };
}
