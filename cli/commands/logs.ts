/** tsgictl logs APP [-n N] [-f] [--out|--err]: an app's recent output, like `tail [-f]`. */
import type { LogEntry } from '../../daemon/logs/line-format.js';
import { usageError } from '../errors.js';
import { paint, type Style } from '../table.js';
import type { CommandDef } from '../types.js';

export const logs: CommandDef = {
  name: 'logs',
  args: 'APP',
  description: "Print an app's last stdout/stderr lines; -f keeps printing new ones until Ctrl-C",
  min: 1,
  max: 1,
  options: {
    lines: { type: 'string', short: 'n', value: 'N', description: 'how many of the last lines (default 100)' },
    follow: { type: 'boolean', short: 'f', description: 'then print new lines as they come, until Ctrl-C' },
    out: { type: 'boolean', description: 'stdout only' },
    err: { type: 'boolean', description: 'stderr only' },
  },
  async run(ctx) {
    const { options, style } = ctx;
    const app = ctx.args[0]!;
    const n = options.lines ?? '100';
    if (typeof n !== 'string' || !/^\d{1,5}$/.test(n)) throw usageError(`logs: -n expects a number of lines, got "${String(n)}"`);
    if (options.out === true && options.err === true) throw usageError('logs: --out and --err together are the default; give one or neither');
    const stream = options.out === true ? 'out' : options.err === true ? 'err' : 'all';
    const path = `/v1/apps/${encodeURIComponent(app)}/logs?lines=${n}&stream=${stream}`;
    const show = (e: LogEntry): string => (ctx.json ? `${JSON.stringify(e)}\n` : `${render(e, style)}\n`);
    if (options.follow !== true) {
      const body = await ctx.client().get<{ app: string; lines: LogEntry[] }>(path);
      return { json: body, text: body.lines.map(show).join('') };
    }
    await ctx.client().stream(`${path}&follow=true`, (data) => ctx.print(show(JSON.parse(data) as LogEntry)), ctx.interrupted());
    return { json: null, text: '', streamed: true };
  },
};

function render(e: LogEntry, style: Style): string {
  if (e.app === null) return e.line;
  const head = `${e.time ?? ''} [${e.app}:${e.worker ?? '?'}]`;
  return `${paint(style, e.stream === 'err' ? 'red' : 'dim', head)} ${e.line}`;
}
