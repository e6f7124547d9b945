/**
 * The arbiter's check of what comes over a worker's IPC channel. The user's app runs in the
 * worker and can call `process.send()` with anything, so each message is checked here, at the
 * boundary, against its kind's shape; what is not one of ours comes back undefined and is
 * ignored. Past this point nothing a worker sends can throw, put a non-number into a counter, or
 * start a line of its own making in a log file.
 *
 * Heartbeats come several times a second per busy worker: the checks are typeof tests and one
 * pass over the two dozen counts, with no allocation when the message is good.
 */
import type { WorkerMessage } from '../protocol.js';
import { CODE_SLOTS, DURATION_BOUNDS } from './request-stats.js';

const BUCKET_SLOTS = DURATION_BOUNDS.length + 1;
const BREAK = /[\r\n]/;
const BREAKS = /[\r\n]/g;
/** an engine.io session id as the arbiter reads one from a request line (balance/sticky-head.ts) */
const SID = /^[A-Za-z0-9_-]{1,64}$/;

/** The message as the arbiter may use it, or undefined when it is not a well-formed worker message. */
export function parseWorkerMessage(m: unknown): WorkerMessage | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const r = m as Record<string, unknown>;
  switch (r.t) {
    case 'hb':
      return isCount(r.requests) && isCount(r.inflight) && isCount(r.connections) && areCounts(r.codes, CODE_SLOTS) && areCounts(r.buckets, BUCKET_SLOTS) && Number.isFinite(r.sum) && (r.sum as number) >= 0
        ? (m as WorkerMessage)
        : undefined;
    case 'got':
      return Array.isArray(r.ids) && r.ids.every(isCount) && (r.connections === undefined || isCount(r.connections)) ? (m as WorkerMessage) : undefined;
    case 'access': {
      const lines = accessLines(r.lines);
      return lines === undefined ? undefined : { t: 'access', lines };
    }
    case 'ready':
      return { t: 'ready' };
    case 'sid':
      return typeof r.sid === 'string' && SID.test(r.sid) ? { t: 'sid', sid: r.sid } : undefined;
    case 'retire':
      return r.reason === 'max_requests' ? { t: 'retire', reason: 'max_requests' } : undefined;
    case 'boot-error':
      if (typeof r.message !== 'string' || (r.stack !== undefined && typeof r.stack !== 'string')) return undefined;
      return { t: 'boot-error', message: r.message, stack: r.stack as string | undefined };
    default:
      return undefined;
  }
}

/** A short, printable account of a refused message, for the warning that says it was ignored. */
export function describeMessage(m: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(m) ?? String(m);
  } catch {
    text = String(m);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function areCounts(v: unknown, length: number): v is number[] {
  if (!Array.isArray(v) || v.length !== length) return false;
  for (let i = 0; i < length; i++) if (!isCount(v[i])) return false;
  return true;
}

/**
 * Strings only, each kept to one line: a newline inside one would start a line the app wrote
 * itself (a forged access entry). Escaped as the worker escapes control characters in a field
 * (`\x0a`), not split, since a split would make exactly that second line.
 */
function accessLines(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  let out: string[] | undefined;
  for (let i = 0; i < v.length; i++) {
    const line: unknown = v[i];
    if (typeof line !== 'string') return undefined;
    if (!BREAK.test(line)) continue;
    out ??= [...(v as string[])];
    out[i] = line.replace(BREAKS, (c) => (c === '\n' ? '\\x0a' : '\\x0d'));
  }
  return out ?? (v as string[]);
}
