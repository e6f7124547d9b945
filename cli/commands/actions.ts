/** tsgictl start|stop|restart|reload APP|all, and scale APP N|+N|-N. */
import type { AppStatus } from '../../daemon/pool/app-pool.js';
import { isTsgiError } from '../../daemon/errors.js';
import { usageError } from '../errors.js';
import { paint } from '../table.js';
import type { CommandDef, Context, Output } from '../types.js';

const VERBS = { start: 'started', stop: 'stopped', restart: 'restarted', reload: 'reloaded' } as const;

function action(name: keyof typeof VERBS, description: string): CommandDef {
  return {
    name,
    args: 'APP|all',
    description,
    min: 1,
    max: 1,
    async run(ctx) {
      const path = (app: string) => `/v1/apps/${encodeURIComponent(app)}/${name}`;
      if (ctx.args[0] !== 'all') {
        const { app } = await ctx.client().post<{ app: AppStatus }>(path(ctx.args[0]!));
        return { json: { app }, text: done(app, name) };
      }
      // one app at a time, as a rolling reload of everything should be; a failure does not stop the rest
      const names = (await ctx.client().get<{ apps: AppStatus[] }>('/v1/apps')).apps.map((a) => a.name);
      const apps: AppStatus[] = [];
      const errors: Array<{ app: string; code: string; message: string }> = [];
      for (const app of names) {
        try {
          apps.push((await ctx.client().post<{ app: AppStatus }>(path(app))).app);
        } catch (err) {
          if (!isTsgiError(err) || err.code === 'TSGI_ERR_CLI_UNREACHABLE') throw err;
          errors.push({ app, code: err.code, message: err.message });
        }
      }
      return failures(ctx, { json: { apps, errors }, text: apps.map((a) => done(a, name)).join('') }, errors);
    },
  };
}

function done(a: AppStatus, verb: keyof typeof VERBS): string {
  const pids = a.workers.filter((w) => w.state === 'ready').map((w) => w.pid);
  return `${a.name}: ${VERBS[verb]} (${a.ready}/${a.target} ready${pids.length > 0 ? `, pids ${pids.join(' ')}` : ''})\n`;
}

/** Lists per-app failures after what worked; exit 1 if any. */
export function failures(ctx: Context, out: Output, errors: Array<{ app: string; message: string }>): Output {
  if (errors.length === 0) return out;
  const text = out.text + errors.map((e) => paint(ctx.style, 'red', `${e.app}: failed: ${e.message}`) + '\n').join('');
  return { ...out, text, exit: 1 };
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
    if (!/^[+-]?\d{1,4}$/.test(n)) throw usageError(`scale: expected a number, +N or -N, got "${n}"`);
    const workers = /^[+-]/.test(n) ? n : Number(n);
    const res = await client().post<{ app: AppStatus }>(`/v1/apps/${encodeURIComponent(app)}/scale`, { workers });
    return { json: res, text: `${app}: ${res.app.ready}/${res.app.target} workers ready\n` };
  },
};
