/** The dashboard tests' shared steps: find tsgid's admin address, open the page in Chromium, log in. */
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM });
}

/** the one in daemon.ts, here too for the dashboard tests and bench/dashboard.ts */
export { adminAddress } from './daemon.js';

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
