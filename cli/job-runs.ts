/**
 * A scheduled job's schedule and last runs as `tsgictl status` prints them under the apps table:
 * one line for the schedule and the next run, then a row per run, newest first. Times are ISO
 * 8601 in UTC (24-hour, as the status header's), so they read the same on every host.
 */
import type { JobStatus, RunRecord } from '../daemon/pool/cron-job.js';
import { paint, table, type Style } from './table.js';

const OUTCOME_COLOUR = { ok: 'green', running: 'yellow', skipped: 'dim', stopped: 'dim', failed: 'red', timeout: 'red' } as const;

/** `max`: how many runs to show (the whole history when a single app is asked for). */
export function renderJob(app: string, job: JobStatus, style: Style, max: number): string {
  const next = job.next_run_at === null ? 'none' : new Date(job.next_run_at).toISOString();
  const head = `${app}: cron "${job.cron}" (${job.timezone}), overlap ${job.overlap}, next run ${next}${job.queued ? ', one run queued' : ''}`;
  if (job.runs.length === 0) return `${head}; no runs yet\n`;
  const rows = job.runs.slice(0, max).map((r) => [
    `  ${new Date(r.started_at).toISOString()}`,
    r.trigger,
    r.duration_ms === null ? '-' : formatRunDuration(r.duration_ms),
    exitOf(r),
    paint(style, OUTCOME_COLOUR[r.outcome], outcomeOf(r)),
    r.detail ?? '',
  ]);
  const more = job.runs.length > max ? `  (${job.runs.length - max} older: tsgictl status ${app})\n` : '';
  return `${head}\n${table(['  STARTED', 'TRIGGER', 'DURATION', 'EXIT', 'OUTCOME', 'DETAIL'], rows)}${more}`;
}

/** 85 → `85ms`, 2500 → `2.5s`, 65000 → `1m05s`: a run's length, to the tenth of a second under a minute. */
export function formatRunDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function exitOf(r: RunRecord): string {
  if (r.signal !== null) return r.signal;
  return r.exit_code === null ? '-' : String(r.exit_code);
}

function outcomeOf(r: RunRecord): string {
  // stopped by tsgi: the EXIT column says how it ended (SIGTERM, SIGKILL after graceful_timeout, or its own code)
  if (r.outcome === 'timeout') return 'timeout: stopped past run_timeout';
  return r.outcome;
}
