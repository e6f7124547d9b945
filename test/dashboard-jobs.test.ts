/**
 * A scheduled job on the dashboard, in a real headless Chromium against a real tsgid: the page
 * shows the job's schedule and next run, and its last runs as they happen (start time, duration,
 * exit code, outcome), a failing job's with its exit code; a job has no scale controls.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { AppStatus } from '../daemon/pool/app-pool.js';
import { adminAddress, FIXTURES, get, startDaemon, tempDir, type Daemon } from './helpers/daemon.js';
import { launchChromium, openPage } from './helpers/dashboard-page.js';
import { CHROMIUM_TOOL, needs } from './helpers/tools.js';

const TOKEN = 'dashboard-jobs-token-1234';
const JOB = join(FIXTURES, 'cron/job-module.mjs');

describe('scheduled jobs on the dashboard', needs(CHROMIUM_TOOL), () => {
  let d: Daemon;
  let browser: Browser;
  let base: string;

  before(async () => {
    const dir = tempDir('tsgi-dashboard-jobs-');
    d = await startDaemon(
      `admin: { listen: "127.0.0.1:0", token: "${TOKEN}" }
apps:
  tick:
    app: ${JOB}
    cron: "*/2 * * * * *"
    cron_timezone: UTC
    env: { RUNS_FILE: "${join(dir, 'tick.log')}", JOB_MS: "50" }
  bounce:
    app: ${JOB}
    cron: "*/2 * * * * *"
    env: { RUNS_FILE: "${join(dir, 'bounce.log')}", JOB_THROW: "bounced" }
`,
      { dir, wait: false },
    );
    base = `http://${await adminAddress(d)}`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await d?.stop();
  });

  it('shows the schedule, the next run and each run with its start, duration, exit code and outcome', { timeout: 90_000 }, async () => {
    const { page, errors } = await openPage(browser, base, TOKEN);
    const rowOf = (app: string, outcome: string) => page.locator(`section[data-app="${app}"] table.runs tbody tr[data-outcome="${outcome}"]`).first();
    await rowOf('tick', 'ok').waitFor({ timeout: 45_000 });
    const cells = await rowOf('tick', 'ok').locator('td').allTextContents();
    assert.match(cells[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, 'started, local 24-hour time');
    assert.equal(cells[1], 'schedule');
    assert.match(cells[2]!, /^\d+ ms$|^\d+\.\d s$/);
    assert.equal(cells[3], '0');
    assert.equal(cells[4], 'ok');
    const schedule = await page.locator('section[data-app="tick"] .job .schedule').textContent();
    assert.match(schedule ?? '', /^cron "\*\/2 \* \* \* \* \*" \(UTC\) · overlap skip · next run \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);

    await rowOf('bounce', 'failed').waitFor({ timeout: 45_000 });
    const failed = await rowOf('bounce', 'failed').locator('td').allTextContents();
    assert.equal(failed[3], '1', 'threw: exit code 1');

    // the API the page reads agrees with it
    const res = await get(`${base}/v1/apps/tick`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const app = (JSON.parse(res.body) as { app: AppStatus }).app.job!;
    assert.ok(app.runs.some((r) => r.outcome === 'ok' && r.exit_code === 0));

    assert.equal(await page.locator('section[data-app="tick"] .scale').isVisible(), false, 'a job has no workers to scale');
    assert.deepEqual(errors, []);
  });
});
