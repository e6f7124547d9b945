/**
 * The daemon's JSON log records, rendered for a person at a terminal: `TIME LEVEL message`, and
 * `TIME [app:worker] line` for what workers print. A few lines instead of pino-pretty and its
 * dependencies; used only when stdout is a TTY.
 */
import type { DestinationStream } from 'pino';

const COLOURS: Record<string, string> = { warn: '\x1b[33m', error: '\x1b[31m', fatal: '\x1b[31m' };
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

export function prettyTo(out: NodeJS.WritableStream, colour = true): DestinationStream {
  return {
    write(record: string): void {
      out.write(`${prettyLine(record, colour)}\n`);
    },
  };
}

export function prettyLine(record: string, colour = false): string {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(record) as Record<string, unknown>;
  } catch {
    return record.trimEnd();
  }
  const time = typeof r.time === 'string' ? r.time : new Date().toISOString();
  const stamp = colour ? `${DIM}${time}${RESET}` : time;
  const msg = typeof r.msg === 'string' ? r.msg : '';
  if (typeof r.app === 'string') {
    const who = r.stream === 'access' ? `${r.app} access` : `${r.app}:${String(r.worker)}`;
    const text = r.access !== undefined ? JSON.stringify(r.access) : msg;
    return `${stamp} [${who}] ${text}`;
  }
  const level = String(r.level ?? 'info').toUpperCase().padEnd(5);
  const c = colour ? COLOURS[String(r.level)] : undefined;
  return `${stamp} ${c !== undefined ? `${c}${level}${RESET}` : level} ${msg}`;
}
