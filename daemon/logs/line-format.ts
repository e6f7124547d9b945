/**
 * How a worker's line is written to its app's log file, `TIME [app:worker] line`, and read back
 * for `GET /v1/apps/:name/logs`.
 */
import type { OutputStream } from '../log.js';

export interface LogEntry {
  /** ISO time the arbiter received the line */
  time: string | null;
  app: string | null;
  worker: number | null;
  /** absent when read back from a file that holds both streams */
  stream?: OutputStream;
  line: string;
}

export function fileLine(e: { time: string; app: string; worker: number; line: string }): string {
  return `${e.time} [${e.app}:${e.worker}] ${e.line}`;
}

/** What tsgi itself writes into a log file (the dropped-lines marker): `[tsgi]` stands for the worker. */
export function noteLine(time: string, text: string): string {
  return `${time} [tsgi] ${text}`;
}

const LINE = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) \[([a-z0-9][a-z0-9_-]*):(\d+)\] (.*)$/s;

export function parseFileLine(text: string): LogEntry {
  const m = LINE.exec(text);
  if (m === null) return { time: null, app: null, worker: null, line: text };
  return { time: m[1]!, app: m[2]!, worker: Number(m[3]), line: m[4]! };
}
