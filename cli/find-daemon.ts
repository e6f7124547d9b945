/**
 * Where the daemon's admin API is and which token to send: --url/--socket and --token first,
 * then TSGI_URL/TSGI_TOKEN, then `admin.*` of the config file (-c FILE, else ./tsgi.yaml).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { parseListen } from '../daemon/config/listen.js';
import { ADMIN_DEFAULTS } from '../daemon/config/admin-defaults.js';
import { interpolate as expand } from '../daemon/config/interpolate.js';
import { usageError } from './errors.js';

export type Target = { kind: 'unix'; path: string; token?: string; where: string } | { kind: 'tcp'; host: string; port: number; token?: string; where: string };

export interface FindOptions {
  url?: string;
  socket?: string;
  token?: string;
  config?: string;
}

export function findDaemon(opts: FindOptions, env: NodeJS.ProcessEnv = process.env): Target {
  const token = opts.token ?? env.TSGI_TOKEN;
  if (opts.socket !== undefined) return { kind: 'unix', path: resolve(opts.socket), token, where: `--socket ${opts.socket}` };
  if (opts.url !== undefined) return fromUrl(opts.url, token, '--url');
  if (env.TSGI_URL !== undefined && env.TSGI_URL !== '') return fromUrl(env.TSGI_URL, token, 'TSGI_URL');
  const file = resolve(opts.config ?? 'tsgi.yaml');
  if (!existsSync(file)) {
    throw usageError(`no daemon address: pass -c FILE, --url or --socket, or set TSGI_URL (looked for ${file})`);
  }
  const doc = (parse(readFileSync(file, 'utf8')) ?? {}) as { admin?: { listen?: unknown; token?: unknown; token_file?: unknown } };
  const dir = dirname(file);
  const admin = doc.admin ?? {};
  const listen = parseListen(interpolate(admin.listen ?? ADMIN_DEFAULTS.listen, env), dir);
  const where = `admin.listen of ${file}`;
  if (listen.kind === 'unix') return { kind: 'unix', path: listen.path, token, where };
  const configured = typeof admin.token === 'string' ? String(interpolate(admin.token, env)) : undefined;
  const fileToken = token ?? configured ?? readToken(resolve(dir, String(interpolate(admin.token_file ?? ADMIN_DEFAULTS.token_file, env))));
  return { kind: 'tcp', host: listen.host, port: listen.port, token: fileToken, where };
}

function fromUrl(url: string, token: string | undefined, where: string): Target {
  if (url.startsWith('unix:')) return { kind: 'unix', path: resolve(url.slice(5)), token, where };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw usageError(`${where}: not a URL: ${url}`);
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return { kind: 'tcp', host, port: Number(u.port || 80), token, where: `${where} ${url}` };
}

function readToken(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function interpolate(v: unknown, env: NodeJS.ProcessEnv): unknown {
  return typeof v === 'string' ? expand(v, env) : v;
}
