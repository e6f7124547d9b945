/** The last lines of a log file, read backwards in chunks: a 10MB file costs what its tail costs. */
import { open } from 'node:fs/promises';

const CHUNK = 64 * 1024;

/** Up to `n` last lines of `path`, then of `path.1` if that is not enough (a rotation just happened); [] if neither exists. */
export async function tailLines(path: string, n: number): Promise<string[]> {
  const lines = await tailOne(path, n);
  if (lines.length >= n) return lines;
  return [...(await tailOne(`${path}.1`, n - lines.length)), ...lines];
}

async function tailOne(path: string, n: number): Promise<string[]> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return [];
  }
  try {
    let pos = (await fh.stat()).size;
    let text = Buffer.alloc(0);
    // one more newline than lines wanted, unless the file starts before that
    while (pos > 0 && count(text) <= n) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      text = Buffer.concat([buf, text]);
    }
    const lines = text.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    // the first piece is part of a line that started before what was read
    if (pos > 0) lines.shift();
    return lines.slice(-n);
  } finally {
    await fh.close();
  }
}

function count(buf: Buffer): number {
  let c = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) c++;
  return c;
}
