/**
 * The operator's console in headless Chromium against a real tsgid: the charts fill from tsgid's
 * history after traffic (requests by status class, latency, rss, cpu, exits marked), every action
 * (start, stop, reload, restart, scale ±/N, stop one worker) works and shows the API's refusal,
 * the log pane follows, filters and pauses, and the page fits a 390 px phone in light and dark.
 * Screenshots go to $TSGI_SCREENSHOTS or a temp dir (the path is printed) to look at.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { DaemonStatus } from '../daemon/arbiter/arbiter.js';
import { get, readyPids, tempDir, type Daemon } from './helpers/daemon.js';
import { openPage, startDashboard } from './helpers/dashboard-page.js';
import { CHROMIUM_TOOL, needs } from './helpers/tools.js';
import { scaled } from './helpers/wait.js';

const TOKEN = 'console-token-456';
const SHOTS = process.env.TSGI_SCREENSHOTS ?? join(tmpdir(), 'tsgi-dashboard-shots');
const T = { timeout: 120_000 };

describe('the operator console in headless Chromium', needs(CHROMIUM_TOOL), () => {
  let d: Daemon;
  let browser: Browser;
  let base: string;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const status = async (): Promise<DaemonStatus> => JSON.parse((await get(`${base}/v1/apps`, { headers: auth })).body) as DaemonStatus;
  const appUrl = async (): Promise<string> => `http://${(await status()).apps.find((a) => a.name === 'web')!.listen[0]}`;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const dir = tempDir('tsgi-console-');
    // says each request on stdout, and on stderr for /err; /missing answers 404
    writeFileSync(join(dir, 'chatty.mjs'), `export default function (req, res) {
  console.log('hit ' + req.url);
  if (req.url === '/err') console.error('oops on ' + req.url);
  res.statusCode = req.url === '/missing' ? 404 : 200;
  res.end('ok ' + process.pid);
}
`);
    writeFileSync(join(dir, 'broken.mjs'), 'throw new Error("does not boot");\n');
    ({ base, browser } = await startDashboard(dir, TOKEN, './chatty.mjs', (started) => (d = started)));
  });

  after(async () => {
    await browser?.close();
    await d?.stop();
  });

  /** the page's message for an app, once it matches */
  const message = (page: Page, app: string, text: string | RegExp) => page.locator(`section[data-app="${app}"] .message`, { hasText: text }).waitFor({ timeout: 60_000 });
  const rowCount = (page: Page, app: string, n: number) =>
    page.waitForFunction(({ app, n }) => {
      const rows = Array.from(document.querySelectorAll(`section[data-app="${app}"] table.workers tbody tr`));
      return rows.length === n && rows.every((r) => r.children[2]?.textContent === 'ready');
    }, { app, n }, { timeout: 60_000 });

  it('keeps history without the token out of reach: 401 on /history, and the page shows nothing before login', T, async () => {
    assert.equal((await get(`${base}/v1/apps/web/history`)).status, 401);
    const { page } = await openPage(browser, base);
    await page.locator('#login').waitFor();
    assert.equal(await page.locator('section.app').count(), 0);
  });

  it('draws requests by status class, latency, rss and cpu after traffic, and marks a restart on the time axis', T, async () => {
    const { page, errors } = await openPage(browser, base, TOKEN);
    const url = await appUrl();
    type History = { t: number[]; requests: Record<string, Array<number | null>>; latency: { p99: Array<number | null> }; workers: Array<{ rss: Array<number | null> }> };
    const history = async (): Promise<History> => JSON.parse((await get(`${base}/v1/apps/web/history`, { headers: auth })).body) as History;
    const some = (a: Array<number | null> | undefined) => (a ?? []).some((v) => v !== null && v > 0);
    // traffic until tsgid's history holds 2xx and 4xx rates and a latency (heartbeats bring the counts within a second or so)
    let h = await history();
    // bounded in time, not rounds: the history takes a point per sampler tick, however fast the requests go
    const deadline = Date.now() + scaled(30_000);
    for (let i = 0; !(some(h.requests['2xx']) && some(h.requests['4xx']) && some(h.latency.p99)); i++) {
      assert.ok(Date.now() < deadline, `no rates in the history after ${i} rounds of requests: ${JSON.stringify(h.requests)}`);
      await Promise.all([get(`${url}/`), get(`${url}/`), get(`${url}/missing`)]);
      if (i % 10 === 9) h = await history();
    }
    assert.ok(h.workers.length >= 2 && h.workers.every((w) => some(w.rss)), 'and rss per worker');
    // the page draws them: its series hold a non-zero rate (uPlot's data, read from the chart)
    await page.waitForFunction(() => {
      const kinds = ['requests', 'latency', 'rss', 'cpu'];
      return kinds.every((k) => Number(document.querySelector<HTMLElement>(`section[data-app="web"] .chart[data-kind="${k}"]`)?.dataset.points) > 2) &&
        Number(document.querySelector<HTMLElement>('section[data-app="web"] .chart[data-kind="requests"]')?.dataset.peak) > 0 &&
        Number(document.querySelector<HTMLElement>('section[data-app="web"] .chart[data-kind="latency"]')?.dataset.peak) > 0;
    }, undefined, { timeout: 60_000 });
    const legend = await page.locator('section[data-app="web"] .chart[data-kind="requests"] .u-legend').textContent();
    for (const c of ['2xx', '4xx', '5xx']) assert.ok(legend!.includes(c), `the legend names ${c}: ${legend}`);

    // a restart: confirmed first (Cancel changes nothing), then marked on the charts
    const web = page.locator('section[data-app="web"]');
    const pids = readyPids(await status(), 'web');
    await web.locator('button[data-action="restart"]').click();
    await page.locator('#confirm', { hasText: 'stop at once' }).waitFor();
    await page.keyboard.press('Escape');
    assert.deepEqual(readyPids(await status(), 'web'), pids, 'cancelled: nothing restarted');
    await web.locator('button[data-action="restart"]').click();
    await page.locator('#confirm-ok').click();
    await message(page, 'web', 'restart done');
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('section[data-app="web"] .chart[data-kind="requests"] .uplot')?.dataset.marks) >= 2, undefined, { timeout: 30_000 });
    // 24-hour times in the restart list
    const first = await web.locator('.restarts li').first().textContent();
    assert.match(first!, /^\d{2}:\d{2}:\d{2} worker /);
    assert.deepEqual(errors, []);
  });

  it('scales up and down, to a number, refuses 0 with a plain message, stops one worker, stops and starts the app, and shows a refusal', T, async () => {
    const { page, errors } = await openPage(browser, base, TOKEN);
    const web = page.locator('section[data-app="web"]');
    await rowCount(page, 'web', 2);
    await web.locator('button[data-action="scale-up"]').click();
    await message(page, 'web', 'scale +1 done');
    await rowCount(page, 'web', 3);
    await web.locator('button[data-action="scale-down"]').click();
    await message(page, 'web', 'scale -1 done');
    await rowCount(page, 'web', 2);
    await web.locator('input.count').fill('0');
    await web.locator('button[data-action="scale"]').click();
    await message(page, 'web', /scale to 0 failed: workers must be .*1.*128.*TSGI_ERR_API_VALIDATION/);
    await web.locator('input.count').fill('3');
    await web.locator('input.count').press('Enter');
    await message(page, 'web', 'scale to 3 done');
    await rowCount(page, 'web', 3);

    // stop one worker: its pid goes, a new one takes its place, the count stays
    const victim = Number(await web.locator('table.workers tbody tr').first().getAttribute('data-pid'));
    await web.locator('table.workers tbody tr').first().locator('button[data-action="stop-worker"]').click();
    await message(page, 'web', /stop worker \d+ done/);
    await page.waitForFunction((victim) => {
      const rows = Array.from(document.querySelectorAll<HTMLElement>('section[data-app="web"] table.workers tbody tr'));
      return rows.length === 3 && rows.every((r) => r.dataset.pid !== String(victim) && r.children[2]?.textContent === 'ready');
    }, victim, { timeout: 60_000 });
    const s = await status();
    assert.equal(readyPids(s, 'web').length, 3);
    assert.ok(!readyPids(s, 'web').includes(victim));
    assert.equal(s.apps.find((a) => a.name === 'web')!.recent_restarts[0]?.pid, victim);

    // a worker that is gone: the API's refusal, as the page would show it
    const gone = await get(`${base}/v1/apps/web/workers/999999/stop`, { method: 'POST', headers: auth });
    assert.equal(gone.status, 404);
    assert.match(gone.body, /TSGI_ERR_WORKER_NOT_FOUND/);

    await web.locator('button[data-action="stop"]').click();
    await page.locator('#confirm', { hasText: 'Nothing serves until you start it again' }).waitFor();
    await page.locator('#confirm-ok').click();
    await message(page, 'web', 'stop done');
    await web.locator('.state', { hasText: 'stopped' }).waitFor();
    await web.locator('button[data-action="start"]').click();
    await message(page, 'web', 'start done');
    await rowCount(page, 'web', 3);
    await web.locator('button[data-action="reload"]').click();
    await message(page, 'web', 'reload done');

    // refused: the broken app does not boot; the message carries the API's words and code
    await page.locator('section[data-app="broken"] button[data-action="start"]').click();
    await message(page, 'broken', /start failed: .*does not boot.*\[TSGI_ERR_APP_/);
    assert.deepEqual(errors, []);
  });

  it('follows the log live, filters, pauses and resumes', T, async () => {
    const { page, errors } = await openPage(browser, base, TOKEN);
    const logs = page.locator('section[data-app="web"] details.logs');
    await logs.locator('summary').click();
    await logs.locator('[role=status]', { hasText: 'following' }).waitFor();
    const url = await appUrl();
    await get(`${url}/first-line`);
    await logs.locator('.log-line', { hasText: 'hit /first-line' }).waitFor({ timeout: 30_000 });
    await get(`${url}/err`);
    await logs.locator('.log-line.err', { hasText: 'oops on /err' }).waitFor({ timeout: 30_000 });

    await logs.locator('input[type=search]').fill('first-line');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('section[data-app="web"] .log-line')).every((l) => l.textContent!.includes('first-line')));

    await logs.locator('input[type=search]').fill('');
    await logs.locator('button[data-action="pause-logs"]').click();
    await get(`${url}/while-paused`);
    await logs.locator('[role=status]', { hasText: 'paused' }).waitFor({ timeout: 30_000 });
    assert.equal(await logs.locator('.log-line', { hasText: 'while-paused' }).count(), 0, 'a paused pane does not draw');
    await logs.locator('button[data-action="pause-logs"]').click();
    await logs.locator('.log-line', { hasText: 'hit /while-paused' }).waitFor();
    assert.deepEqual(errors, []);
  });

  for (const scheme of ['light', 'dark'] as const) {
    for (const [label, viewport] of [['desktop', { width: 1280, height: 1000 }], ['phone', { width: 390, height: 844 }]] as const) {
      it(`fits ${label} width in ${scheme} (screenshot)`, T, async () => {
        const { page, errors } = await openPage(browser, base, TOKEN, viewport);
        await page.emulateMedia({ colorScheme: scheme });
        await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('section[data-app="web"] .chart[data-kind="requests"]')?.dataset.points) > 2, undefined, { timeout: 30_000 });
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= viewport.width, `no sideways scroll: ${width} px in ${viewport.width}`);
        const file = join(SHOTS, `dashboard-${label}-${scheme}.png`);
        await page.screenshot({ path: file, fullPage: true });
        console.log(`# screenshot: ${file}`);
        assert.deepEqual(errors, []);
      });
    }
  }

  it('reaches every action from the keyboard', T, async () => {
    const { page } = await openPage(browser, base, TOKEN);
    const seen = new Set<string>();
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      const a = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.action ?? null);
      if (a !== null) seen.add(a);
    }
    for (const a of ['start', 'stop', 'reload', 'restart', 'scale-down', 'scale-up', 'scale', 'stop-worker']) assert.ok(seen.has(a), `${a} is reachable by Tab: ${[...seen].join(', ')}`);
  });
});
