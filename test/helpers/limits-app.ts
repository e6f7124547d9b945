/**
 * The fixture app hostile.test.ts and limits.test.ts send exact bytes to (test/fixtures/limits/app.mjs):
 * tsgid serving it once per named app, and what its /count says it handled.
 */
import { join } from 'node:path';
import { type Daemon, FIXTURES, get, startDaemon } from './daemon.js';

export const LIMITS_APP = join(FIXTURES, 'limits/app.mjs');

/** what the app has handled: requests, late writes, the last body it read, its pid */
export interface Count {
  handled: number;
  late: number;
  last: { bytes: number; ended: boolean; aborted: boolean } | null;
  pid: number;
}

/**
 * tsgid with one app of the limits fixture per entry, each listening on a port of the OS's
 * choosing with the settings given; resolves with each app's URL by name.
 */
export async function startLimitsApps<A extends Record<string, Record<string, string | number>>>(apps: A, started: (d: Daemon) => void): Promise<{ [K in keyof A]: string }> {
  const yaml = Object.entries(apps).map(([name, settings]) => [`  ${name}:`, `    app: ${LIMITS_APP}`, '    listen: "127.0.0.1:0"', ...Object.entries(settings).map(([k, v]) => `    ${k}: ${v}`)].join('\n'));
  const d = await startDaemon(`\napps:\n${yaml.join('\n')}\n`);
  // handed over at once, so the caller's `after` stops it even if an address is never known
  started(d);
  const urls = await Promise.all(Object.keys(apps).map(async (name) => [name, await d.url(name)] as const));
  return Object.fromEntries(urls) as { [K in keyof A]: string };
}

export async function count(url: string): Promise<Count> {
  return JSON.parse((await get(`${url}/count`)).body) as Count;
}

export { untilOutput } from './output.js';
