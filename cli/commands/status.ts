/** tsgictl status [APP]: a table like `pm2 ls`, one row per worker; with APP, its config too (env keys only). */
import type { AppView } from '../../api/app-view.js';
import type { DaemonStatus } from '../../daemon/arbiter/arbiter.js';
import { renderJob } from '../job-runs.js';
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
      const head = paint(style, 'dim', `tsgid ${daemon.pid}, up ${formatDuration(daemon.uptime_ms)}, tsgi ${daemon.version}${daemon.upgrades > 0 ? ` (upgrade ${daemon.upgrades})` : ''}, started ${new Date(daemon.started_at).toISOString()}, ${daemon.config_file}`);
      return { json: daemon, text: `${head}\n${render(daemon.apps, style)}${jobs(daemon.apps, style, 5)}` };
    }
    const { app } = await client().get<{ app: AppView }>(`/v1/apps/${encodeURIComponent(name)}`);
    return { json: { app }, text: render([app], style) + jobs([app], style, Infinity) + describeConfig(app.config, app.config_units ?? {}) };
  },
};

export function render(apps: AppView[], style: Style): string {
  if (apps.length === 0) return 'no apps\n';
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const a of apps) {
    const state = paint(style, STATE_COLOUR[a.state], a.state);
    const head = [a.name, state, `${a.ready}/${a.target}`, String(a.restarts), a.balance ?? '-'];
    if (a.workers.length === 0) rows.push([...head, '-', '-', '-', '-', '-', '-', '-', '-', a.listen.join(',')]);
    for (const [i, w] of a.workers.entries()) {
      const lead = i === 0 ? head : ['', '', '', '', ''];
      rows.push([...lead, String(w.id), String(w.pid ?? '-'), w.state, formatDuration(w.uptime_ms), formatBytes(w.rss), w.cpu === null ? '-' : `${w.cpu.toFixed(0)}%`, String(w.requests), String(w.connections), i === 0 ? a.listen.join(',') : '']);
    }
    if (a.failed_reason !== null) notes.push(paint(style, 'red', `${a.name}: ${a.failed_reason}`));
    else if (a.last_boot_error !== null && a.state !== 'running') notes.push(`${a.name}: last boot error: ${a.last_boot_error}`);
  }
  const header = ['APP', 'STATE', 'READY', 'RESTARTS', 'BALANCE', 'WORKER', 'PID', 'WSTATE', 'UPTIME', 'RSS', 'CPU', 'REQS', 'CONNS', 'LISTEN'];
  return table(header, rows) + notes.map((n) => n + '\n').join('');
}

/** Each scheduled job's next run and last runs (`max` of them), after the table. */
function jobs(apps: AppView[], style: Style, max: number): string {
  return apps.map((a) => (a.job ? `\n${renderJob(a.name, a.job, style, max)}` : '')).join('');
}

/** The config in force, one `key: value` a line; maps and lists inline; durations and sizes as a config file writes them. */
function describeConfig(config: Record<string, unknown> | undefined, units: Record<string, 'duration' | 'size'>): string {
  if (config === undefined) return '';
  const show = (key: string, v: unknown): unknown => {
    if (typeof v === 'number' && units[key] !== undefined) return units[key] === 'duration' ? configDuration(v) : configSize(v);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, show(`${key}.${k}`, x)]));
    return v;
  };
  const lines = Object.entries(config)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [k, show(k, v)] as const)
    .map(([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return `\nconfig:\n${lines.join('\n')}\n`;
}

/** 30000 → `30s`, 90000 → `90s`, 1500 → `1500ms`, 3600000 → `1h`: the largest unit that is exact. */
export function configDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, n] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % n === 0) return `${ms / n}${unit}`;
  return `${ms}ms`;
}

/** 536870912 → `512MB`: the largest unit that is exact (1KB = 1024 bytes, as the config reads it). */
export function configSize(bytes: number): string {
  if (bytes === 0) return '0';
  for (const [unit, n] of [['GB', 1024 ** 3], ['MB', 1024 ** 2], ['KB', 1024]] as const) if (bytes % n === 0) return `${bytes / n}${unit}`;
  return `${bytes}B`;
}
