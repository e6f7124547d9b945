/** Split a byte stream into lines without waiting for the stream to end. */
import type { Readable } from 'node:stream';

/** Lines longer than this are cut, so one runaway write cannot grow the arbiter's memory. */
const MAX_LINE = 64 * 1024;

export function pipeLines(stream: Readable, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    let start = 0;
    let nl = chunk.indexOf('\n');
    while (nl !== -1) {
      onLine(rest + chunk.slice(start, nl));
      rest = '';
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    rest += chunk.slice(start);
    if (rest.length > MAX_LINE) {
      onLine(rest);
      rest = '';
    }
  });
  stream.on('end', () => {
    if (rest !== '') onLine(rest);
  });
  stream.on('error', () => {});
}
