/** tsgictl status [APP]: a table like `pm2 ls`, one row per worker; with APP, its config too (env keys only). */
import type { AppView } from '../../api/app-view.js';
import type { DaemonStatus } from '../../daemon/arbiter.js';
import { formatBytes, formatDuration, paint, table, type Style } from '../table.js';
import type { CommandDef } from '../types.js';

const STATE_COLOUR = { running: 'green', reloading: 'yellow', starting: 'yellow', degraded: 'yellow', stopping: 'yellow', stopped: 'dim', failed: 'red' } as const;

export const status: CommandDef = {
  name: 'status',
  args: '[APP]',
  description: 'Show apps, their state and their workers',
  min: 0,
  max: 1,
  async run({ args, client, style }) {
    const name = args[0];
    if (name === undefined) {
      const daemon = await client().get<DaemonStatus & { apps: AppView[] }>('/v1/apps');
      const head = paint(style, 'dim', `tsgid ${daemon.pid}, up ${formatDuration(daemon.uptime_ms)}, ${daemon.config_file}`);
      return { json: daemon, text: `${head}\n${render(daemon.apps, style)}` };
    }
    const { app } = await client().get<{ app: AppView }>(`/v1/apps/${encodeURIComponent(name)}`);
    return { json: { app }, text: render([app], style) + describeConfig(app.config, await configUnits()) };
  },
};

export function render(apps: AppView[], style: Style): string {
  if (apps.length === 0) return 'no apps\n';
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const a of apps) {
    const state = paint(style, STATE_COLOUR[a.state], a.state);
    const head = [a.name, state, `${a.ready}/${a.target}`];
    if (a.workers.length === 0) rows.push([...head, '-', '-', '-', '-', '-', '-', '-', a.listen.join(',')]);
    for (const [i, w] of a.workers.entries()) {
      const lead = i === 0 ? head : ['', '', ''];
      rows.push([...lead, String(w.id), String(w.pid ?? '-'), w.state, formatDuration(w.uptime_ms), formatBytes(w.rss), w.cpu === null ? '-' : `${w.cpu.toFixed(0)}%`, String(w.requests), i === 0 ? a.listen.join(',') : '']);
    }
    if (a.failed_reason !== null) notes.push(paint(style, 'red', `${a.name}: ${a.failed_reason}`));
    else if (a.last_boot_error !== null && a.state !== 'running') notes.push(`${a.name}: last boot error: ${a.last_boot_error}`);
  }
  const header = ['APP', 'STATE', 'READY', 'WORKER', 'PID', 'WSTATE', 'UPTIME', 'RSS', 'CPU', 'REQS', 'LISTEN'];
  return table(header, rows) + notes.map((n) => n + '\n').join('');
}

type Units = (path: string, v: unknown) => string | undefined;

/**
 * Durations and sizes written back as the YAML takes them (`30s`, `512MB`), not in ms and bytes;
 * which settings they are comes from settings.ts, loaded for `status APP` only.
 */
async function configUnits(): Promise<Units> {
  const [{ appSection }, { duration, size }] = await Promise.all([import('../../daemon/config/settings.js'), import('../../daemon/config/kinds.js')]);
  const kindAt = (path: string): unknown => {
    let fields: Record<string, unknown> = appSection.fields;
    let found: unknown;
    for (const key of path.split('.')) {
      found = fields[key];
      fields = (found as { is?: string; fields?: Record<string, unknown> } | undefined)?.fields ?? {};
    }
    return (found as { kind?: unknown } | undefined)?.kind;
  };
  return (path, v) => {
    if (typeof v !== 'number') return undefined;
    const kind = kindAt(path);
    if (kind === duration) return formatMs(v);
    if (kind === size) return formatSize(v);
    return undefined;
  };
}

export function formatMs(ms: number): string {
  if (ms === 0 || ms % 1000 !== 0) return `${ms}ms`;
  const s = ms / 1000;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

export function formatSize(n: number): string {
  for (const [unit, b] of [['GB', 2 ** 30], ['MB', 2 ** 20], ['KB', 2 ** 10]] as const) if (n !== 0 && n % b === 0) return `${n / b}${unit}`;
  return `${n}B`;
}

/** The config in force, one `key: value` a line; maps and lists inline, durations and sizes in units. */
function describeConfig(config: Record<string, unknown> | undefined, units: Units): string {
  if (config === undefined) return '';
  const value = (path: string, v: unknown): string => {
    const unit = units(path, v);
    if (unit !== undefined) return unit;
    if (typeof v === 'string') return v;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${value(`${path}.${k}`, x)}`).join(', ')} }`;
    }
    return JSON.stringify(v);
  };
  const lines = Object.entries(config)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `  ${k}: ${value(k, v)}`);
  return `\nconfig:\n${lines.join('\n')}\n`;
}
