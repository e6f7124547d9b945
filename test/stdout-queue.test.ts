/**
 * tsgid's stdout queue (daemon/logs/stdout-queue.ts) on a real pipe whose reader stalls, then
 * reads: what is held never passes its bound in bytes, whatever does not fit is dropped and told,
 * everything is either written or told as dropped, and once the reader has caught up the queue
 * lets go of the memory it grew to.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { StdoutQueue } from '../daemon/logs/stdout-queue.js';

const MAX = 64 * 1024;
const LINES = 4000;

describe("tsgid's stdout queue, a reader that stalls", () => {
  // reads nothing until SIGUSR2, then counts the bytes and reports them when its stdin ends
  const reader = spawn(process.execPath, ['-e', `
    let n = 0;
    setInterval(() => {}, 1000);
    process.on('SIGUSR2', () => {
      process.stdin.on('data', (c) => (n += c.length));
      process.stdin.on('end', () => { process.stdout.write(String(n)); process.exit(0); });
    });
    process.send('ready');
  `], { stdio: ['pipe', 'pipe', 'inherit', 'ipc'] });
  after(() => reader.kill('SIGKILL'));

  it('holds at most its bound in bytes, drops and tells the rest, then writes all it held and shrinks back', { timeout: 60_000 }, async () => {
    await new Promise((resolve) => reader.once('message', resolve));
    const fd = (reader.stdin as unknown as { _handle: { fd: number } })._handle.fd;
    const q = new StdoutQueue(fd, MAX);
    const small = q.allocated;
    let dropped = 0;
    let droppedBytes = 0;
    q.on('drop', (text: string) => {
      dropped++;
      droppedBytes += Buffer.byteLength(text);
    });
    const errors: Error[] = [];
    q.on('error', (e: Error) => errors.push(e));
    let accepted = 0;
    // 4000 lines of 1 KB (with a character of 3 bytes each) into a pipe of 64 KB nobody reads
    for (let i = 0; i < LINES; i++) {
      const line = `${String(i).padStart(6, '0')} € ${'x'.repeat(1012)}\n`;
      if (q.write(line)) accepted += Buffer.byteLength(line);
      assert.ok(q.queued <= MAX, `held ${q.queued} bytes, over ${MAX}`);
    }
    assert.ok(q.peak <= MAX, `peak ${q.peak}`);
    assert.ok(q.peak > MAX - 1024, 'it did fill up to its bound');
    assert.ok(dropped > LINES / 2, `most lines dropped while the reader stalls: ${dropped}`);
    assert.equal(accepted + droppedBytes, LINES * 1024, 'every line written, queued or dropped');
    const drained = new Promise((resolve) => q.once('drain', resolve));
    const out: Buffer[] = [];
    reader.stdout!.on('data', (c: Buffer) => out.push(c));
    const ended = new Promise((resolve) => reader.once('exit', resolve));
    reader.kill('SIGUSR2');
    await drained;
    assert.equal(q.queued, 0);
    assert.deepEqual(errors, []);
    assert.equal(q.allocated, small, 'the memory grown to for the backlog is let go once it is written');
    reader.stdin!.end();
    await ended;
    assert.equal(Number(Buffer.concat(out).toString()), accepted, 'the reader got exactly the bytes accepted, each once');
  });
});
