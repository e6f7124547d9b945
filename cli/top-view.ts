/**
 * One frame of `tsgictl top` as lines of text: per app its state, request rate and sparkline,
 * a row per worker (pid, state, uptime, rss, cpu, requests, req/s) and its last exits. Pure, so
 * a test renders it without a terminal; top.ts decides how the lines reach the screen.
 */
import type { ExitRecord } from '../daemon/pool/app-pool.js';
import { formatBytes, formatDuration, paint, table, type Style } from './table.js';
import type { TopModel } from './top-model.js';

export interface FrameOptions {
  /** the screen's width and height; lines past them are cut (undefined: no limit, for a pipe) */
  columns?: number;
  rows?: number;
  style: Style;
  /** the footer's hint, e.g. "q: quit" */
  hint?: string;
}

const STATE_COLOUR = { running: 'green', reloading: 'yellow', starting: 'yellow', degraded: 'yellow', stopping: 'yellow', stopped: 'dim', failed: 'red' } as const;
const BARS = '▁▂▃▄▅▆▇█';
/** sparkline width in characters */
const SPARK = 30;
/** last exits shown per app */
const EXITS = 3;

export function renderFrame(model: TopModel, o: FrameOptions): string[] {
  const s = model.status;
  if (s === undefined) return ['waiting for tsgid…'];
  const head = `tsgid ${s.pid} · up ${formatDuration(s.uptime_ms)} · ${s.apps.length} app${s.apps.length === 1 ? '' : 's'} · ${s.config_file}`;
  const lines = [paint(o.style, 'bold', head) + (o.hint === undefined ? '' : `   ${paint(o.style, 'dim', o.hint)}`), ''];
  if (s.apps.length === 0) lines.push('no apps');
  for (const app of s.apps) {
    const rates = model.rates.get(app.name);
    const rps = rates?.rps === undefined ? '- req/s' : `${rates.rps.toFixed(1)} req/s`;
    const restarts = `${app.restarts} unplanned restart${app.restarts === 1 ? '' : 's'}`;
    lines.push(`${paint(o.style, 'bold', app.name)}  ${paint(o.style, STATE_COLOUR[app.state], app.state)}  ${app.ready}/${app.target} ready  ${restarts}  ${rps} ${sparkline(rates?.history ?? [])}`.trimEnd());
    if (app.failed_reason !== null) lines.push(paint(o.style, 'red', `  ${app.failed_reason}`));
    else if (app.last_boot_error !== null && app.state !== 'running') lines.push(`  last boot error: ${app.last_boot_error}`);
    if (app.workers.length > 0) {
      const rows = app.workers.map((w) => {
        const r = rates?.workers.get(w.id);
        return [String(w.id), String(w.pid ?? '-'), w.state, formatDuration(w.uptime_ms), formatBytes(w.rss), w.cpu === null ? '-' : `${w.cpu.toFixed(0)}%`, String(w.requests), r === undefined ? '-' : r.toFixed(1)];
      });
      const t = table(['WORKER', 'PID', 'STATE', 'UPTIME', 'RSS', 'CPU', 'REQS', 'REQ/S'], rows);
      lines.push(...t.trimEnd().split('\n').map((l, i) => `  ${i === 0 ? paint(o.style, 'dim', l) : l}`));
    }
    const exits = (app.recent_restarts ?? []).slice(0, EXITS);
    if (exits.length > 0) lines.push(paint(o.style, 'dim', `  last exits: ${exits.map(describeExit).join(' · ')}`));
    lines.push('');
  }
  return fit(lines, o);
}

export function sparkline(history: readonly number[]): string {
  const points = history.slice(-SPARK);
  const max = Math.max(0, ...points);
  return points.map((v) => BARS[max === 0 ? 0 : Math.min(BARS.length - 1, Math.round((v / max) * (BARS.length - 1)))]).join('');
}

export function describeExit(r: ExitRecord): string {
  const how = r.signal !== null ? `, ${r.signal}` : r.code !== null ? `, code ${r.code}` : '';
  return `${clock(r.at)} worker ${r.worker} (pid ${r.pid ?? '?'}) ${r.reason ?? r.state}${how}`;
}

function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

/** Cut to the screen: each line to its width (colour codes take none), the frame to its height. */
function fit(lines: string[], o: FrameOptions): string[] {
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  let out = lines;
  if (o.rows !== undefined && out.length > o.rows) {
    const cut = out.length - (o.rows - 1);
    out = [...out.slice(0, o.rows - 1), `… ${cut} more line${cut === 1 ? '' : 's'}`];
  }
  return o.columns === undefined ? out : out.map((l) => clip(l, o.columns!));
}

export function clip(line: string, width: number): string {
  let seen = 0;
  let out = '';
  let coloured = false;
  for (let i = 0; i < line.length; ) {
    const esc = /^\u001b\[[0-9;]*m/.exec(line.slice(i, i + 12));
    if (esc !== null) {
      out += esc[0];
      coloured = true;
      i += esc[0].length;
      continue;
    }
    const ch = String.fromCodePoint(line.codePointAt(i)!);
    if (seen === width) return coloured ? `${out}\u001b[0m` : out;
    out += ch;
    seen++;
    i += ch.length;
  }
  return out;
}
