/** tsgictl start|stop|restart|reload APP|all, and scale APP N|+N|-N. */
import type { AppStatus } from '../../daemon/app-pool.js';
import { usageError } from '../errors.js';
import type { CommandDef, Context } from '../types.js';

const VERBS = { start: 'started', stop: 'stopped', restart: 'restarted', reload: 'reloaded' } as const;

function action(name: keyof typeof VERBS, description: string): CommandDef {
  return {
    name,
    args: 'APP|all',
    description,
    min: 1,
    max: 1,
    async run(ctx) {
      const names = await targets(ctx);
      const done: AppStatus[] = [];
      for (const app of names) done.push((await ctx.client().post<{ app: AppStatus }>(`/v1/apps/${encodeURIComponent(app)}/${name}`)).app);
      return { json: { apps: done }, text: done.map((a) => `${a.name}: ${VERBS[name]} (${a.ready}/${a.target} ready, pids ${a.workers.map((w) => w.pid).join(' ')})\n`).join('') };
    },
  };
}

async function targets({ args, client }: Context): Promise<string[]> {
  if (args[0] !== 'all') return [args[0]!];
  return (await client().get<{ apps: AppStatus[] }>('/v1/apps')).apps.map((a) => a.name);
}

export const start = action('start', 'Start a stopped or failed app');
export const stop = action('stop', 'Drain and stop an app (its sockets stay open)');
export const restart = action('restart', 'Stop all workers, then start new ones');
export const reload = action('reload', 'Rolling reload: new workers boot, then old ones drain; no request dropped');

export const scale: CommandDef = {
  name: 'scale',
  args: 'APP N|+N|-N',
  description: 'Set the number of workers (scale-down drains gracefully)',
  min: 2,
  max: 2,
  async run({ args, client }) {
    const [app, n] = args as [string, string];
    if (!/^[+-]?\d+$/.test(n)) throw usageError(`scale: expected a number, +N or -N, got "${n}"`);
    const workers = /^[+-]/.test(n) ? n : Number(n);
    const res = await client().post<{ app: AppStatus }>(`/v1/apps/${encodeURIComponent(app)}/scale`, { workers });
    return { json: res, text: `${app}: ${res.app.ready}/${res.app.target} workers ready\n` };
  },
};
