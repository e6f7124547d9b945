/**
 * The dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core; .ci/run
 * installs it) against a real tsgid with a TCP admin API and a token: the page asks for the token,
 * shows the apps and their worker pids, and a click on Reload rolls the workers — the pids on the
 * page change to the daemon's new ready pids. Every wait is on the page's DOM or the daemon's API.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { DaemonStatus } from '../daemon/arbiter/arbiter.js';
import { FIXTURES, get, readyPids, tempDir, type Daemon } from './helpers/daemon.js';
import { openPage as open, startDashboard } from './helpers/dashboard-page.js';
import { CHROMIUM_TOOL, needs } from './helpers/tools.js';
const TOKEN = 'dashboard-token-789';
/** a boot error is text from the app: the page must show it as text, never run it */
const HOSTILE = '<img src=x onerror="window.pwned=1">';

describe('the dashboard in headless Chromium', needs(CHROMIUM_TOOL), () => {
  let d: Daemon;
  let browser: Browser;
  let base: string;
  const status = async (): Promise<DaemonStatus> => JSON.parse((await get(`${base}/v1/apps`, { headers: { authorization: `Bearer ${TOKEN}` } })).body) as DaemonStatus;

  before(async () => {
    const dir = tempDir('tsgi-dashboard-');
    writeFileSync(join(dir, 'broken.mjs'), `throw new Error(${JSON.stringify(HOSTILE)});\n`);
    ({ base, browser } = await startDashboard(dir, TOKEN, join(FIXTURES, 'daemon/node-app.mjs'), (started) => (d = started)));
  });

  after(async () => {
    await browser?.close();
    await d?.stop();
  });

  const openPage = () => open(browser, base);

  /**
   * The worker pids the page shows for an app, once it shows `count` workers, all ready, and
   * either exactly the pids `same` or none of the pids `other`.
   */
  function pagePids(page: Page, app: string, want: { count: number; same?: number[]; other?: number[] }): Promise<number[]> {
    return page
      .waitForFunction(
        ({ app, want }) => {
          const rows = Array.from(document.querySelectorAll<HTMLElement>(`section[data-app="${app}"] table.workers tbody tr`));
          const pids = rows.map((r) => Number(r.dataset.pid));
          const ok =
            rows.length === want.count &&
            rows.every((r) => r.children[2]?.textContent === 'ready') &&
            (want.same === undefined || want.same.every((p) => pids.includes(p))) &&
            (want.other === undefined || pids.every((p) => !want.other!.includes(p)));
          return ok ? pids : false;
        },
        { app, want },
        { timeout: 30_000 },
      )
      .then((h) => h.jsonValue() as Promise<number[]>);
  }

  it('asks for the token, shows the apps and their workers, and a click on Reload rolls the pids', async () => {
    const { page, urls, errors } = await openPage();
    // without a token the stream is refused: the page asks for one
    await page.locator('#token').fill(TOKEN);
    await page.locator('#login button[type=submit]').click();
    await page.locator('section[data-app="web"]').waitFor();
    await page.locator('section[data-app="broken"]').waitFor();

    let s = await status();
    const before = readyPids(s, 'web').sort();
    assert.equal(before.length, 2);
    const shown = await pagePids(page, 'web', { count: 2, same: before });
    assert.deepEqual(shown.sort(), before, 'the page shows the daemon\'s worker pids');
    assert.equal(await page.locator('section[data-app="web"] .state').textContent(), 'running');

    await page.locator('section[data-app="web"] button[data-action="reload"]').click();
    const after = (await pagePids(page, 'web', { count: 2, other: before })).sort();
    await page.locator('section[data-app="web"] .message', { hasText: 'reload done' }).waitFor();
    s = await status();
    assert.deepEqual(after, readyPids(s, 'web').sort(), 'the page shows the new ready pids');
    assert.ok(after.every((p) => !before.includes(p)), 'every worker was replaced');
    // the reload's exits are listed with their reason
    await page.locator('section[data-app="web"] .restarts li', { hasText: `(pid ${before[0]}) stopped: reload` }).waitFor();

    assert.equal(await page.evaluate(() => sessionStorage.getItem('tsgi-admin-token')), TOKEN, 'the token is kept for the tab');
    assert.ok(urls.every((u) => !u.includes(TOKEN)), 'the token is never in a URL');
    assert.deepEqual(errors, []);
  });

  it('shows each worker\'s figures, a request rate and its charts under load, and Restart, once confirmed, replaces the workers', async () => {
    const { page, errors } = await openPage();
    // the token from the first test is gone with its tab: a new tab asks again
    await page.locator('#token').fill(TOKEN);
    await page.locator('#login button[type=submit]').click();
    const web = page.locator('section[data-app="web"]');
    // uptime, rss, cpu come with the stats events: every cell of a row filled
    await page.waitForFunction(
      () => {
        const rows = Array.from(document.querySelectorAll('section[data-app="web"] table.workers tbody tr'));
        return rows.length === 2 && rows.every((r) => /^\d+(s|m \d+s)$/.test(r.children[3]!.textContent!) && / MB$/.test(r.children[4]!.textContent!) && /^\d+%$/.test(r.children[5]!.textContent!));
      },
      undefined,
      { timeout: 30_000 },
    );

    // requests until the page shows a rate above zero and a sparkline of more than one point
    const app = (await status()).apps.find((a) => a.name === 'web')!;
    const target = `http://${app.listen[0]}/`;
    let loaded = false;
    const load = (async () => {
      while (!loaded) await Promise.all(Array.from({ length: 10 }, () => get(target)));
    })();
    try {
      await page.waitForFunction(
        () => {
          const rate = document.querySelector('section[data-app="web"] .rate')?.textContent ?? '';
          const chart = document.querySelector<HTMLElement>('section[data-app="web"] .chart[data-kind="requests"]');
          return Number.parseFloat(rate) > 0 && Number(chart?.dataset.points) > 1 && chart?.querySelector('canvas') !== null;
        },
        undefined,
        { timeout: 30_000 },
      );
    } finally {
      loaded = true;
      await load;
    }
    const requests = await web.locator('table.workers tbody tr td:nth-child(7)').allTextContents();
    assert.ok(requests.some((n) => Number(n) > 0), `a worker counts requests: ${requests.join(', ')}`);

    const before = readyPids(await status(), 'web').sort();
    await web.locator('button[data-action="restart"]').click();
    await page.locator('#confirm', { hasText: 'stop at once' }).waitFor();
    await page.locator('#confirm-ok').click();
    const after = (await pagePids(page, 'web', { count: 2, other: before })).sort();
    await web.locator('.message', { hasText: 'restart done' }).waitFor();
    assert.deepEqual(after, readyPids(await status(), 'web').sort(), 'the page shows the restarted workers');
    assert.deepEqual(errors, []);
  });

  it('shows an app\'s boot error as text, never as markup', async () => {
    const { page } = await openPage();
    await page.locator('#token').fill(TOKEN);
    await page.locator('#login button[type=submit]').click();
    const problem = page.locator('section[data-app="broken"] .problem');
    await problem.filter({ hasText: HOSTILE }).waitFor();
    assert.equal(await page.locator('section[data-app="broken"] .state').textContent(), 'failed');
    assert.equal(await page.locator('section[data-app="broken"] img').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
  });

  it('says so when the token is refused, and keeps asking', async () => {
    const { page } = await openPage();
    await page.locator('#token').fill('not-the-token');
    await page.locator('#login button[type=submit]').click();
    await page.locator('#login-error', { hasText: 'refused' }).waitFor();
    assert.equal(await page.locator('#login').isVisible(), true);
    assert.equal(await page.locator('section.app').count(), 0, 'nothing shown without a good token');
  });
});
