/**
 * Several apps in one worker, by URL prefix: WSGI's SCRIPT_NAME / PATH_INFO split.
 * The longest prefix wins and matches only at a segment boundary; the app sees the path
 * with the prefix stripped, and the prefix itself as `req.scriptName`.
 */
import { TsgiError } from '../../errors.js';
import type { Listener, MountedRequest } from './contract.js';

export interface Mount {
  /** As configured for {@link mountListener}, which normalises it; {@link matchMount} expects it normalised. */
  readonly prefix: string;
  readonly listener: Listener;
}

/** '/api/' → '/api', 'api' → '/api', '/' → ''. Matching is on the raw, undecoded path, case-sensitive. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' || trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/**
 * The mount serving `url` and the URL the app should see, or undefined when none matches.
 * `mounts` must be sorted longest prefix first (as {@link mountListener} does).
 */
export function matchMount(mounts: readonly Mount[], url: string): { mount: Mount; url: string } | undefined {
  for (const mount of mounts) {
    const prefix = mount.prefix;
    if (prefix === '') return { mount, url };
    if (!url.startsWith(prefix)) continue;
    const next = url.charCodeAt(prefix.length);
    if (Number.isNaN(next)) return { mount, url: '/' };
    if (next === 47 /* / */) return { mount, url: url.slice(prefix.length) };
    if (next === 63 /* ? */) return { mount, url: `/${url.slice(prefix.length)}` };
  }
  return undefined;
}

/**
 * One listener dispatching to `mounts` (prefixes as configured; normalised here). Throws
 * TSGI_ERR_CONFIG_INVALID when two prefixes normalise to the same one.
 */
export function mountListener(mounts: readonly Mount[]): Listener {
  const sorted = mounts
    .map((mount) => ({ prefix: normalizePrefix(mount.prefix), listener: mount.listener }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.prefix === sorted[i - 1]!.prefix) {
      throw new TsgiError('TSGI_ERR_CONFIG_INVALID', `two mounts share the prefix '${sorted[i]!.prefix || '/'}'`);
    }
  }
  return function tsgiMounts(req: MountedRequest, res) {
    const original = req.url ?? '/';
    const match = matchMount(sorted, original);
    if (match === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Not Found\n');
      return;
    }
    // Express's convention: originalUrl is the URL as received, set once by the outermost router.
    if (req.originalUrl === undefined) req.originalUrl = original;
    req.url = match.url;
    req.scriptName = match.mount.prefix;
    match.mount.listener(req, res);
  };
}
