/**
 * tsgictl import on real-looking PM2 ecosystem files (.js, .mjs, .json, .yaml): the tsgi.yaml it
 * writes is then run by tsgid and answers on the PM2 app's PORT; apps without a port (a Node queue
 * consumer, a Python worker with args, a cron_restart script) run as background apps and a job,
 * seen running by their own output; options it cannot map are listed with why; an ecosystem file
 * that throws or never finishes is a clear error, not a hang.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { FIXTURES, TSGICTL, get, startDaemon, tempDir } from './helpers/daemon.js';
import { freePort } from './helpers/nginx.js';
import { waitFor } from './helpers/wait.js';

const L = join(FIXTURES, 'listen');
const P = join(FIXTURES, 'pm2');

function ctl(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSGICTL, ...args], { cwd, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}


/** Imports `name` (written with `text`) in a fresh directory, runs the result with tsgid, and GETs the app. */
async function importAndRun(name: string, text: (port: number) => string, extra: string[] = []): Promise<{ yaml: string; report: string; body: string }> {
  const dir = tempDir();
  const port = await freePort();
  writeFileSync(join(dir, name), text(port));
  const r = await ctl(['import', name, '-o', 'tsgi.yaml', ...extra], dir);
  assert.equal(r.code, 0, r.stderr);
  const yaml = readFileSync(join(dir, 'tsgi.yaml'), 'utf8');
  const d = await startDaemon(yaml, { dir, timeout: 60_000 });
  try {
    const app = (await d.status()).apps[0]!;
    assert.equal(app.state, 'running', d.output());
    const body = (await get(`http://127.0.0.1:${port}/`)).body;
    return { yaml, report: r.stdout, body };
  } finally {
    await d.stop();
  }
}

describe('tsgictl import', () => {
  it('imports a CommonJS ecosystem.config.js with env_production, and tsgid runs it', { timeout: 120_000 }, async () => {
    const { yaml, report, body } = await importAndRun(
      'ecosystem.config.js',
      (port) => `module.exports = {
  apps: [{
    name: 'api',
    script: './express-listen.cjs',
    cwd: ${JSON.stringify(L)},
    instances: 2,
    exec_mode: 'cluster',
    env: { NODE_ENV: 'development', PORT: 1 },
    env_production: { NODE_ENV: 'production', PORT: ${port} },
    max_memory_restart: '300M',
    kill_timeout: 3000,
    min_uptime: '5s',
    max_restarts: 10,
    cron_restart: '0 3 * * *',
    log_date_format: 'YYYY-MM-DD',
  }, {
    name: 'mailer',
    script: './mailer.js',
    cwd: ${JSON.stringify(P)},
  }],
  deploy: { production: { user: 'deploy' } },
};
`,
      ['--env', 'production'],
    );
    assert.match(body, /^express \d+/);
    const app = (parse(yaml) as { apps: Record<string, Record<string, unknown>> }).apps.api!;
    assert.equal(app.workers, 2);
    assert.equal(app.max_memory, '300MB');
    assert.equal(app.graceful_timeout, '3000ms');
    assert.deepEqual(app.restart, { min_uptime: '5s', max_failures: 10 });
    assert.equal((app.env as Record<string, string>).NODE_ENV, 'production');
    assert.match(yaml, /# from max_memory_restart: 300M/);
    assert.match(report, /api: cron_restart: not mapped: restarts a long-running app on a schedule; tsgi's `cron` runs a job that exits/);
    assert.match(report, /api: log_date_format: not mapped/);
    const mailer = (parse(yaml) as { apps: Record<string, Record<string, unknown>> }).apps.mailer!;
    assert.equal(mailer.app, './mailer.js', 'an app without a port is a background app');
    assert.equal(mailer.listen, undefined);
    assert.match(yaml, /# from script: \.\/mailer\.js, a Node script with no port: imported in a tsgi worker/);
  });

  it('imports an ES module ecosystem.config.mjs that reads process.env and prints', { timeout: 120_000 }, async () => {
    const { body, yaml } = await importAndRun(
      'ecosystem.config.mjs',
      (port) => `console.log('loading config');
export default { apps: [{ name: 'Web Front', script: ${JSON.stringify(join(L, 'express-listen.cjs'))}, instances: 1, env: { PORT: '${port}', HOME_DIR: process.env.HOME ?? '' } }] };
`,
    );
    assert.match(body, /^express \d+/);
    assert.match(yaml, /^ {2}web-front:/m);
  });

  it('imports ecosystem.json and ecosystem.yaml', { timeout: 120_000 }, async () => {
    const json = await importAndRun('ecosystem.json', (port) =>
      JSON.stringify({ apps: [{ name: 'j', script: 'express-listen.cjs', cwd: L, exec_mode: 'cluster', instances: 'max', env: { PORT: port }, watch: false, out_file: '/dev/null' }] }),
    );
    assert.match(json.body, /^express \d+/);
    const yaml = await importAndRun('ecosystem.yaml', (port) => `apps:\n  - name: y\n    script: ./express-listen.cjs\n    cwd: ${L}\n    env:\n      PORT: ${port}\n    kill_timeout: 1600\n    wait_ready: true\n`);
    assert.match(yaml.body, /^express \d+/);
    assert.match(yaml.report, /y: wait_ready: not mapped: not needed/);
  });

  it('imports apps without a port as background apps and a cron_restart script as a job, and tsgid runs them all', { timeout: 180_000 }, async () => {
    const dir = tempDir();
    const port = await freePort();
    const env = { ...process.env, API_PORT: String(port), MAILER_OUT: join(dir, 'mailer.out.log'), MAILER_ERR: join(dir, 'mailer.err.log'), CLEANUP_CRON: '*/2 * * * * *', CLEANUP_DIR: join(dir, 'cleanup') };
    const r = await ctl(['import', join(P, 'ecosystem.config.js'), '-o', 'tsgi.yaml', '--env', 'production'], dir, env);
    assert.equal(r.code, 0, r.stderr);
    const text = readFileSync(join(dir, 'tsgi.yaml'), 'utf8');
    const apps = (parse(text) as { apps: Record<string, Record<string, unknown>> }).apps;
    assert.deepEqual(Object.keys(apps), ['api', 'mailer', 'thumbnails', 'cleanup'], r.stdout);
    assert.equal(apps.mailer!.app, './mailer.js');
    assert.equal(apps.mailer!.workers, 1);
    assert.deepEqual(apps.thumbnails!.command, ['python3', 'thumbs.py', '--size', '256', '--quality', '80']);
    assert.equal(apps.thumbnails!.workers, 2);
    assert.deepEqual(apps.cleanup!.command, ['node', './cleanup.js', '--older-than', '30d']);
    assert.equal(apps.cleanup!.cron, '*/2 * * * * *');
    assert.equal(apps.cleanup!.workers, undefined, 'a job has no workers');
    assert.match(text, /# from cron_restart with autorestart: false: PM2 starts it on this schedule and lets it exit, which is a tsgi scheduled job/);
    assert.match(r.stdout, /thumbnails: cron_restart: not mapped: restarts a long-running app on a schedule/);
    assert.doesNotMatch(r.stdout, /not imported/);

    const d = await startDaemon(text, { dir, timeout: 60_000 });
    try {
      const st = await d.waitFor('every app up, a cleanup run done', (s) => {
        const by = (n: string) => s.apps.find((a) => a.name === n)!;
        return s.apps.every((a) => a.state === 'running') && by('mailer').ready === 1 && by('thumbnails').ready === 2 && (by('cleanup').job?.runs.some((x) => x.outcome === 'ok') ?? false);
      }, 60_000);
      assert.match((await get(`http://127.0.0.1:${port}/`)).body, /^api \d+ production$/m);
      // the background processes are seen running: their own output, from the pids status shows
      const mailerPid = st.apps.find((a) => a.name === 'mailer')!.workers[0]!.pid!;
      await waitFor(() => readFileSync(join(dir, 'mailer.out.log'), 'utf8').includes(`mailer ${mailerPid}: poll 2,`), { what: 'the mailer polling', timeout: 20_000, retryOnError: true });
      for (const w of st.apps.find((a) => a.name === 'thumbnails')!.workers) {
        await waitFor(() => d.output().includes(`thumbs ${w.pid} up with --size 256 --quality 80`), { what: `thumbs ${w.pid} up`, timeout: 20_000 });
      }
      assert.match(readFileSync(join(dir, 'cleanup', 'cleanup.log'), 'utf8'), /^cleanup \d+ --older-than 30d$/m);
      const run = st.apps.find((a) => a.name === 'cleanup')!.job!.runs.find((x) => x.outcome === 'ok')!;
      assert.equal(run.exit_code, 0);
    } finally {
      await d.stop();
    }
  });

  it('reports an ecosystem file that throws, names it, and exits 2', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ecosystem.config.js'), "module.exports = { apps: [] };\nthrow new Error('bad ecosystem');\n");
    const r = await ctl(['import', 'ecosystem.config.js'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /TSGI_ERR_CONFIG_INVALID|ecosystem\.config\.js: evaluating it failed/);
    assert.match(r.stderr, /bad ecosystem/);
    writeFileSync(join(dir, 'list.json'), '{"apps": 3}');
    const bad = await ctl(['import', 'list.json'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /list\.json: expected \{ apps: \[/);
  });
});
