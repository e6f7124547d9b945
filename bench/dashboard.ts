/**
 * The dashboard's cost to open: page weight (every byte the page loads, as served: no compression)
 * and time to first data (navigation to the charts drawn from tsgid's history, and to the first
 * worker row), in Debian's Chromium over loopback, median of N fresh tabs, with 10 s of history
 * already kept by tsgid for one app of two workers.
 *
 *   npm run build && node dist/bench/dashboard.js [--runs 10]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startDaemon } from '../test/helpers/daemon.js';
import { adminAddress } from '../test/helpers/dashboard-page.js';
import { HELLO, machine, median, scratch, sleep } from './lib.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const RUNS = Number(values.runs);
const TOKEN = 'bench-token';

const dir = scratch('dashboard');
writeFileSync(join(dir, 'hello.mjs'), HELLO);
const d = await startDaemon(`admin: { listen: "127.0.0.1:0", token: "${TOKEN}" }\napps:\n  web:\n    app: ./hello.mjs\n    listen: "127.0.0.1:0"\n    workers: 2\n`, { dir, wait: false });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
try {
  const base = `http://${await adminAddress(d)}`;
  await sleep(10_000); // some history to draw
  const first: number[] = [];
  const charts: number[] = [];
  let bytes = 0;
  const files = new Map<string, number>();
  for (let i = 0; i < RUNS; i++) {
    const ctx = await browser.newContext();
    await ctx.addInitScript((t) => sessionStorage.setItem('tsgi-admin-token', t), TOKEN);
    const page = await ctx.newPage();
    page.on('response', async (r) => {
      const u = new URL(r.url()).pathname;
      if (u.startsWith('/v1/')) return;
      files.set(u, (await r.body().catch(() => Buffer.alloc(0))).length);
    });
    const t0 = performance.now();
    await page.goto(`${base}/`);
    await page.locator('section[data-app="web"] table.workers tbody tr').first().waitFor();
    first.push(performance.now() - t0);
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('section[data-app="web"] .chart[data-kind="requests"]')?.dataset.points) > 5);
    charts.push(performance.now() - t0);
    await ctx.close();
  }
  bytes = [...files.values()].reduce((a, b) => a + b, 0);
  console.log(`machine: ${machine()}`);
  console.log(`page weight: ${(bytes / 1024).toFixed(1)} KB in ${files.size} files (${[...files].map(([f, n]) => `${f} ${(n / 1024).toFixed(1)} KB`).join(', ')})`);
  console.log(`first worker row: median ${median(first).toFixed(0)} ms (min ${Math.min(...first).toFixed(0)}, max ${Math.max(...first).toFixed(0)}) over ${RUNS} tabs`);
  console.log(`charts with history: median ${median(charts).toFixed(0)} ms (min ${Math.min(...charts).toFixed(0)}, max ${Math.max(...charts).toFixed(0)})`);
} finally {
  await browser.close();
  await d.stop();
}
