/** The dashboard tests' shared steps: find tsgid's admin address, open the page in Chromium, log in. */
import { chromium, type Browser, type Page } from 'playwright-core';
import { adminAddress, startDaemon, type Daemon } from './daemon.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM });
}

/** the one in daemon.ts, here too for the dashboard tests and bench/dashboard.ts */
export { adminAddress };

export interface DashboardRig {
  d: Daemon;
  /** the admin API's (and the page's) base URL */
  base: string;
  browser: Browser;
}

/**
 * What the dashboard tests start from: tsgid in `dir` with a TCP admin API behind `token`, an app
 * `web` (2 workers of `webApp`) and an app `broken` (`dir`/broken.mjs, which the caller writes),
 * and Chromium. `started` gets the daemon at once, so the caller's `after` stops it whatever fails next.
 */
export async function startDashboard(dir: string, token: string, webApp: string, started: (d: Daemon) => void): Promise<DashboardRig> {
  const d = await startDaemon(
    `admin: { listen: "127.0.0.1:0", token: "${token}" }
apps:
  web:
    app: ${webApp}
    listen: "127.0.0.1:0"
    workers: 2
  broken:
    app: ./broken.mjs
    listen: "127.0.0.1:0"
`,
    { dir, wait: false },
  );
  started(d);
  const base = `http://${await adminAddress(d)}`;
  return { d, base, browser: await launchChromium() };
}

export interface OpenPage {
  page: Page;
  urls: string[];
  errors: string[];
}

/** A fresh tab (its own sessionStorage) on the dashboard; with `token`, logged in. */
export async function openPage(browser: Browser, base: string, token?: string, viewport?: { width: number; height: number }): Promise<OpenPage> {
  const page = await (await browser.newContext(viewport ? { viewport } : {})).newPage();
  const urls: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/`);
  if (token !== undefined) {
    await page.locator('#token').fill(token);
    await page.locator('#login button[type=submit]').click();
    await page.locator('section.app').first().waitFor({ timeout: 30_000 });
  }
  return { page, urls, errors };
}
