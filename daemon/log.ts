/**
 * The daemon's log. One line per event: `TIME LEVEL message`, and for what workers print,
 * `TIME [app:worker] line`, so the lines of many workers interleave and still say whose they are.
 */
import type { Writable } from 'node:stream';

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  worker(app: string, worker: number, stream: 'out' | 'err', line: string): void;
}

export function createLogger(out: Writable = process.stdout, err: Writable = process.stderr): Logger {
  const write = (to: Writable, text: string): void => {
    // a closed terminal must not take the daemon down
    if (!to.writableEnded && !to.destroyed) to.write(`${new Date().toISOString()} ${text}\n`);
  };
  return {
    info: (msg) => write(out, `INFO  ${msg}`),
    warn: (msg) => write(err, `WARN  ${msg}`),
    error: (msg) => write(err, `ERROR ${msg}`),
    worker: (app, worker, stream, line) => write(stream === 'out' ? out : err, `[${app}:${worker}] ${line}`),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, worker() {} };
