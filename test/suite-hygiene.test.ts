/**
 * The suite's own guarantees (test/helpers/wait.ts and procs.ts): a wait names what it waited for
 * and stretches with the load; a test file ends, and leaves no tsgid, worker or piped process
 * running, when startDaemon fails in a `before`, when a test stops nothing, and when the file is
 * sent SIGTERM (what node --test does to a file past --test-timeout). The files are run for real
 * (test/fixtures/suite), each process of theirs marked in its environment so that what outlives
 * them is found however it was reparented.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, pidAlive, tempDir } from './helpers/daemon.js';
import { commandLine, pidsWithEnv } from './helpers/proc-tree.js';
import { track } from './helpers/procs.js';
import { scaled, slowdown, waitFor } from './helpers/wait.js';

// LC_*: the one part of the test's environment tsgid passes on to its workers (helpers/procs.ts)
const MARK = 'LC_TSGI_HYGIENE_MARK';

interface Run {
  mark: string;
  output(): string;
  proc: ReturnType<typeof spawn>;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Run a fixture test file on its own (as node --test runs each file), its processes marked. */
function runFile(name: string, env: NodeJS.ProcessEnv = {}): Run {
  const mark = randomUUID();
  const full: NodeJS.ProcessEnv = { ...process.env, ...env, [MARK]: mark };
  // this file's own runner context is not the fixture's: run directly, it prints TAP
  delete full.NODE_TEST_CONTEXT;
  const proc = track(spawn(process.execPath, [join(FIXTURES, 'suite', name)], { env: full, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  return { mark, output: () => out, proc, ended };
}

/** What of a run is still there: the file ended, so its processes must be gone (SIGKILLed ones go at once). */
async function leftAfter(run: Run): Promise<string[]> {
  const left = () => pidsWithEnv(MARK, run.mark);
  await waitFor(() => left().length === 0, { what: 'the processes of the file gone', timeout: 5000 }).catch(() => {});
  return left().map((p) => `${p} ${commandLine(p)}`);
}

/** The file's end, or a clear failure if it does not end: the hang this file is about. */
function ends(run: Run): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let result: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void run.ended.then((r) => (result = r));
  return waitFor(() => result, { what: 'the test file to end', timeout: 60_000, interval: 100, detail: () => run.output() });
}

describe('waitFor', () => {
  it('returns what the check found, once it finds it', async () => {
    let n = 0;
    assert.equal(await waitFor(() => (++n >= 3 ? `found at ${n}` : undefined), { what: 'three rounds', interval: 1 }), 'found at 3');
  });

  it('names what it waited for, how long, and the detail, when the deadline passes', async () => {
    await assert.rejects(
      waitFor(() => false, { what: 'the moon', timeout: 50, interval: 5, detail: () => 'last seen: nothing' }),
      (e: Error) => /^timed out after [\d.]+ s \(0\.05 s × load factor [\d.]+\) waiting for the moon\nlast seen: nothing$/.test(e.message),
    );
  });

  it('ends with a throw from the check, unless told to retry; then names the last one', async () => {
    await assert.rejects(waitFor(() => { throw new Error('ECONNREFUSED'); }, { what: 'x' }), { message: 'ECONNREFUSED' });
    await assert.rejects(
      waitFor(() => { throw new Error('ECONNREFUSED'); }, { what: 'a listener', timeout: 30, interval: 5, retryOnError: true }),
      { message: /waiting for a listener\nlast error: ECONNREFUSED$/ },
    );
  });

  it('stops at once when told why', async () => {
    const started = Date.now();
    await assert.rejects(waitFor(() => false, { what: 'ready', timeout: 60_000, abort: () => 'tsgid exited (1)' }), { message: 'tsgid exited (1) while waiting for ready' });
    assert.ok(Date.now() - started < scaled(10_000), 'did not wait for the deadline');
  });

  it('stretches a deadline by the load per core, never below 1', () => {
    assert.ok(slowdown() >= 1);
    assert.ok(scaled(1000) >= 1000);
  });
});

describe('a test file leaves nothing running', () => {
  it('when startDaemon fails in a before hook: the file ends, failing, and its tsgid and workers are gone', async () => {
    const run = runFile('start-fails.test.mjs');
    const { code } = await ends(run);
    assert.equal(code, 1, run.output());
    assert.match(run.output(), /timed out after .* waiting for every app running/);
    assert.deepEqual(await leftAfter(run), []);
  });

  it('when a test stops neither its tsgid nor a piped process: the file ends, and they are gone', async () => {
    const run = runFile('leaves-running.test.mjs');
    const { code } = await ends(run);
    assert.equal(code, 0, run.output());
    assert.match(run.output(), /killed \d+ process\(es\) a test left running/);
    assert.deepEqual(await leftAfter(run), []);
  });

  it('when the file is sent SIGTERM mid-test: its tsgid and workers are killed', async () => {
    const pidFile = join(tempDir('tsgi-hygiene-'), 'tsgid.pid');
    const run = runFile('leaves-running.test.mjs', { SIGTERM_ME: pidFile });
    const tsgid = await waitFor(() => existsSync(pidFile) && Number(readFileSync(pidFile, 'utf8')), { what: 'the file to start its tsgid', detail: run.output });
    assert.ok(pidAlive(tsgid));
    assert.ok(pidsWithEnv(MARK, run.mark).length >= 4, 'tsgid, two workers and sleep run');
    run.proc.kill('SIGTERM');
    assert.deepEqual(await ends(run), { code: 143, signal: null });
    assert.deepEqual(await leftAfter(run), []);
  });
});
