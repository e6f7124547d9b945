/**
 * Where the daemon's admin API is and which token to send: --url/--socket and --token first,
 * then TSGI_URL/TSGI_TOKEN, then `admin.*` of the config file (-c FILE, else ./tsgi.yaml, else
 * the config of the one tsgid running from this folder).
 * Only what a lookup needs is loaded, and only when it needs it (the yaml package, the config
 * module's defaults): tsgictl must answer fast.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TsgiError, type ErrorCode } from '../daemon/errors.js';
import { parseListen } from '../daemon/config/listen.js';
import { alive, readPid } from '../daemon/os/pidfile.js';
import { readAdminSection, type AdminSection } from './admin-yaml.js';
import { usageError } from './errors.js';

export type Target = { kind: 'unix'; path: string; token?: string; where: string } | { kind: 'tcp'; host: string; port: number; token?: string; where: string };

export interface FindOptions {
  url?: string;
  socket?: string;
  token?: string;
  config?: string;
}

export async function findDaemon(opts: FindOptions, env: NodeJS.ProcessEnv = process.env): Promise<Target> {
  const token = opts.token ?? (env.TSGI_TOKEN || undefined);
  if (opts.socket !== undefined) return { kind: 'unix', path: resolve(opts.socket), token, where: `--socket ${opts.socket}` };
  if (opts.url !== undefined) return fromUrl(opts.url, token, '--url');
  if (env.TSGI_URL) return fromUrl(env.TSGI_URL, token, 'TSGI_URL');
  const file = opts.config !== undefined ? resolve(opts.config) : defaultConfig();
  const text = readConfig(file, opts.config !== undefined);
  const admin = readAdminSection(text) ?? (await adminFromYaml(text, file));
  const dir = dirname(file);
  const where = `admin.listen of ${file}`;
  const defaults = async () => (await import('../daemon/config/admin-defaults.js')).defaultsFor(file);
  const listenText = await expand(admin.listen ?? (await defaults()).listen, env, file, 'admin.listen');
  const listen = checked(() => parseListen(listenText, dir), file, 'admin.listen');
  if (listen.kind === 'unix') return { kind: 'unix', path: listen.path, token, where };
  const configured = typeof admin.token === 'string' ? String(await expand(admin.token, env, file, 'admin.token')) : undefined;
  const tokenFile = async () => readToken(resolve(dir, String(await expand(admin.token_file ?? (await defaults()).token_file, env, file, 'admin.token_file'))));
  return { kind: 'tcp', host: listen.host, port: listen.port, token: token ?? configured ?? (await tokenFile()), where };
}

/**
 * ./tsgi.yaml; else, when exactly one tsgid runs from this folder with a derived pidfile
 * (`.tsgi/NAME.pid`, live), its `NAME.yaml`: `npm start` on config.example.yaml, then a bare
 * `tsgictl status`, just works.
 */
function defaultConfig(): string {
  const file = resolve('tsgi.yaml');
  if (existsSync(file)) return file;
  let names: string[];
  try {
    names = readdirSync(resolve('.tsgi')).filter((n) => n.endsWith('.pid') && n !== 'tsgid.pid');
  } catch {
    return file;
  }
  const running = names.map((n) => resolve(n.slice(0, -'.pid'.length) + '.yaml')).filter((c, i) => existsSync(c) && runningPid(resolve('.tsgi', names[i]!)));
  return running.length === 1 ? running[0]! : file;
}

function runningPid(pidfile: string): boolean {
  const pid = readPid(pidfile);
  return pid !== undefined && alive(pid);
}

function readConfig(file: string, named: boolean): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    if (reason === 'ENOENT') {
      const how = named ? `-c ${file}: no such file` : `no --url, --socket or TSGI_URL, and no ${file}`;
      throw new TsgiError('TSGI_ERR_CLI_UNREACHABLE', `cannot find tsgid: ${how}`);
    }
    throw new TsgiError('TSGI_ERR_CONFIG_READ', `${file}: cannot read the configuration file (${reason})`, { cause: err });
  }
}

/** The slow path, for YAML the quick reader does not take on. */
async function adminFromYaml(text: string, file: string): Promise<AdminSection> {
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new TsgiError('TSGI_ERR_CONFIG_YAML', `${file}: invalid YAML: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  const admin = (doc as { admin?: unknown } | null)?.admin;
  return admin !== null && typeof admin === 'object' ? (admin as AdminSection) : {};
}

/** `${VAR}` in a value, as tsgid expands it. */
async function expand(v: unknown, env: NodeJS.ProcessEnv, file: string, key: string): Promise<unknown> {
  if (typeof v !== 'string' || !v.includes('${')) return v;
  const { interpolate } = await import('../daemon/config/interpolate.js');
  return checked(() => interpolate(v, env), file, key);
}

/** A config-module ValueError, as a coded error naming the file and key. */
function checked<T>(parse: () => T, file: string, key: string): T {
  try {
    return parse();
  } catch (err) {
    const code = (err as { code?: ErrorCode }).code ?? 'TSGI_ERR_CONFIG_INVALID';
    throw new TsgiError(code, `${file}: ${key}: ${(err as Error).message}`, { cause: err });
  }
}

function fromUrl(url: string, token: string | undefined, where: string): Target {
  if (url.startsWith('unix:')) return { kind: 'unix', path: resolve(url.slice(5)), token, where: `${where} ${url}` };
  let u: URL;
  try {
    u = new URL(url.includes('://') ? url : `http://${url}`);
  } catch {
    throw usageError(`${where}: not a URL: ${url} (expected http://HOST:PORT or unix:PATH)`);
  }
  if (u.protocol !== 'http:') throw usageError(`${where}: ${url}: the admin API speaks plain http (or use unix:PATH)`);
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
