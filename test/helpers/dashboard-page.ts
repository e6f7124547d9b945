/** The dashboard tests' shared steps: find tsgid's admin address, open the page in Chromium, log in. */
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Daemon } from './daemon.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM });
}

/** The address tsgid logs once its admin API is up: "admin API on 127.0.0.1:PORT". */
export async function adminAddress(d: Daemon): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const m = /admin API on (\S+)/.exec(d.output());
    if (m) return m[1]!;
    if (d.proc.exitCode !== null) throw new Error(`tsgid exited (${d.proc.exitCode}):\n${d.output()}`);
    if (Date.now() > deadline) throw new Error(`no admin address in the output:\n${d.output()}`);
    await Promise.race([new Promise((r) => d.proc.stdout!.once('data', r)), d.exited, new Promise((r) => setTimeout(r, 1000).unref())]);
  }
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
