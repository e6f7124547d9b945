/**
 * The daemon's log, through pino: one JSON object per line on stdout (level, time, msg), and for
 * what workers print while `logs.dir` is unset, the same with app, worker and stream, so a
 * container's log collector gets one well-formed stream. On a terminal the same records are
 * rendered as `TIME LEVEL message` and `TIME [app:worker] line` (pretty-print.ts).
 */
import type { EventEmitter } from 'node:events';
import { pino, type DestinationStream, type Logger as Pino } from 'pino';
import { dropNote, Drops, QUEUE_CEILING } from './logs/drops.js';
import { prettyTo } from './pretty-print.js';
import { StdoutQueue } from './logs/stdout-queue.js';

export type OutputStream = 'out' | 'err';

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** A line a worker printed. */
  worker(app: string, worker: number, stream: OutputStream, line: string): void;
  /** Access-log lines a worker sent (already formatted as the app's access_log_format says). */
  access(app: string, lines: readonly string[]): void;
  /** One admin API action (api/audit.ts): the record as fields, `msg` a line for a person. */
  audit?(record: object, msg: string): void;
}

/**
 * `maxQueued`: past this much unwritten output (a stalled stdout reader) lines are dropped rather
 * than held, as for a log file (logs/drops.ts: about `logs.max_size`); the daemon's memory is not
 * the log's buffer. The drops are counted per source and told in a warning once stdout has caught up.
 */
export function createLogger(opts: { dest?: DestinationStream; maxQueued?: number } = {}): Logger {
  const dest = opts.dest ?? defaultDestination(opts.maxQueued ?? QUEUE_CEILING);
  const log: Pino = pino(
    {
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    dest,
  );
  // the destination tells of a line it would not queue ('drop', from inside the write, so `source` is
  // the line's) and of an empty buffer ('drain'): then the note has room
  let source = 'tsgid';
  const drops = new Drops();
  const events = dest as Partial<EventEmitter>;
  if (typeof events.on === 'function') {
    events.on('drop', () => drops.add(source));
    events.on('drain', () => {
      const c = drops.take();
      if (c !== undefined) log.warn({ dropped: c.total }, dropNote(c, "tsgid's stdout could not keep up"));
    });
  }
  const from = (s: string, write: () => void): void => {
    source = s;
    write();
    source = 'tsgid';
  };
  return {
    info: (msg) => log.info(msg),
    warn: (msg) => log.warn(msg),
    error: (msg) => log.error(msg),
    worker: (app, worker, stream, line) => from(`${app} ${stream === 'out' ? 'stdout' : 'stderr'}`, () => log.info({ app, worker, stream }, line)),
    audit: (record, msg) => log.info({ audit: record }, msg),
    access: (app, lines) => from(`${app} access`, () => {
      for (const line of lines) {
        // a json access line is kept an object, not a string inside a string
        const record = line.startsWith('{') ? parseObject(line) : undefined;
        if (record !== undefined) log.info({ app, stream: 'access', access: record }, '');
        else log.info({ app, stream: 'access' }, line);
      }
    }),
  };
}

function defaultDestination(maxQueued: number): DestinationStream {
  // colour only for a person at a terminal who has not asked for none (https://no-color.org)
  if (process.stdout.isTTY) return prettyTo(process.stdout, process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb');
  // asynchronous: a slow reader of stdout must not stall the arbiter's loop
  const dest = new StdoutQueue(1, maxQueued);
  // a closed pipe stops the output; nothing else may take the daemon down
  dest.on('error', () => {});
  return dest;
}

function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, worker() {}, access() {} };
