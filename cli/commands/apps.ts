/**
 * tsgictl add NAME --app MODULE --listen ADDR [--workers N], and remove APP. Paths given to add
 * are relative to where tsgictl runs: the app's cwd defaults to it, and a relative unix socket
 * path is made absolute here.
 */
import { resolve } from 'node:path';
import type { AppView } from '../../api/app-view.js';
import { usageError } from '../errors.js';
import type { CommandDef } from '../types.js';

export const add: CommandDef = {
  name: 'add',
  args: 'NAME',
  description: 'Add an app to the running daemon and start it (not written to the config file)',
  min: 1,
  max: 1,
  options: {
    app: { type: 'string', value: 'MODULE', required: true, description: 'the module to serve, path/to/module[:export], relative to --cwd' },
    listen: { type: 'string', value: 'ADDR', required: true, multiple: true, description: 'HOST:PORT, :PORT or unix:PATH; repeat for several' },
    workers: { type: 'string', value: 'N', description: 'number of worker processes (default 1)' },
    cwd: { type: 'string', value: 'DIR', description: "the workers' working directory (default: the current one)" },
    env: { type: 'string', value: 'KEY=VALUE', multiple: true, description: 'an environment variable for the workers; repeat for several' },
  },
  async run({ args, options, client }) {
    const name = args[0]!;
    const body: Record<string, unknown> = {
      name,
      app: options.app,
      listen: (options.listen as string[]).map((l) => (l.startsWith('unix:') ? `unix:${resolve(l.slice(5))}` : l)),
      cwd: resolve(typeof options.cwd === 'string' ? options.cwd : '.'),
    };
    if (typeof options.workers === 'string') {
      if (!/^\d{1,6}$/.test(options.workers)) throw usageError(`add: --workers expects a number, got "${options.workers}"`);
      body.workers = Number(options.workers);
    }
    if (Array.isArray(options.env)) body.env = Object.fromEntries(options.env.map(keyValue));
    const { app } = await client().post<{ app: AppView }>('/v1/apps', body);
    return { json: { app }, text: `${app.name}: added, ${app.state} (${app.ready}/${app.target} ready on ${app.listen.join(', ')})\n` };
  },
};

function keyValue(pair: string): [string, string] {
  const at = pair.indexOf('=');
  if (at <= 0) throw usageError(`add: --env expects KEY=VALUE, got "${pair}"`);
  return [pair.slice(0, at), pair.slice(at + 1)];
}

export const remove: CommandDef = {
  name: 'remove',
  args: 'APP',
  description: 'Drain an app and remove it from the running daemon, closing its sockets',
  min: 1,
  max: 1,
  async run({ args, client }) {
    const res = await client().delete<{ removed: string }>(`/v1/apps/${encodeURIComponent(args[0]!)}`);
    return { json: res, text: `${res.removed}: removed\n` };
  },
};
