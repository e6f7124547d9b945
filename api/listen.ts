/**
 * Where the admin API listens and who may call it: a unix socket created 0600 (the file mode is
 * the gate, as with a gunicorn control socket), or TCP with a mandatory bearer token.
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { lookup } from 'node:dns/promises';
import { createServer } from 'node:http';
import { setImmediate as turn } from 'node:timers/promises';
import type { Arbiter } from '../daemon/arbiter/arbiter.js';
import { formatListen, type Config } from '../daemon/config/index.js';
import { isLoopback } from '../daemon/config/listen.js';
import { TsgiError } from '../daemon/errors.js';
import type { Logger } from '../daemon/log.js';
import { clearStaleSocket } from '../daemon/os/sockets.js';
import { runtimeDir } from '../daemon/os/runtime-dir.js';
import type net from 'node:net';
import type { UpgradeResult } from '../daemon/upgrade/upgrade.js';
import { lazyApi, type LazyApi } from './lazy-api.js';
import { loadFastifyInSteps } from './load-in-steps.js';
import type { ApiToken } from './auth.js';

/** A shorter named token is refused: it could be guessed. */
const MIN_TOKEN_LENGTH = 16;

export interface AdminApi {
  address: string;
  /** its listening socket, which an upgrade hands to the new tsgid */
  server: net.Server;
  close(): Promise<void>;
}

export interface AdminStart {
  /** the admin socket, passed by the tsgid this one upgrades (fd), instead of binding it */
  adoptFd?: number;
  /** POST /v1/upgrade */
  upgrade?: () => Promise<UpgradeResult>;
}

/**
 * The token the admin API will require (none on a unix socket). Called before any app starts, so
 * a refused admin address (non-loopback, no token) stops tsgid before it binds or spawns anything.
 */
export function adminToken(config: Config, log: Logger): string | undefined {
  return config.admin.listen.kind === 'tcp' ? resolveToken(config, log) : undefined;
}

/**
 * The named tokens of admin.tokens, each read now (a token_file too), so a missing file or a
 * short token stops tsgid before any app starts. None on a unix socket, which needs no token.
 */
export function adminTokens(config: Config, log: Logger): ApiToken[] {
  if (config.admin.listen.kind !== 'tcp') return [];
  return Object.values(config.admin.tokens).map(({ name, token, token_file: file, role }) => {
    const where = `admin.tokens.${name}`;
    let value = token;
    if (file !== undefined) {
      try {
        value = readFileSync(file, 'utf8').trim();
      } catch (err) {
        throw new TsgiError('TSGI_ERR_CONFIG_INVALID', `${where}.token_file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
      }
      const mode = statSync(file).mode & 0o777;
      if ((mode & 0o077) !== 0) log.warn(`${where}.token_file: ${file} has mode 0${mode.toString(8)}, open to other users; chmod 600 it`);
    }
    if (value === undefined || value.length < MIN_TOKEN_LENGTH) throw new TsgiError('TSGI_ERR_CONFIG_INVALID', `${where}: expected a token of at least ${MIN_TOKEN_LENGTH} characters, got ${value?.length ?? 0}`);
    return { name, token: value, role };
  });
}

export async function startAdminApi(arbiter: Arbiter, config: Config, log: Logger, token: string | undefined, tokens: ApiToken[] = [], start: AdminStart = {}): Promise<AdminApi> {
  const addr = config.admin.listen;
  // fastify and the routes are loaded on the first request (lazy-api.ts); the socket is bound now
  const api = lazyApi(async (serverFactory) => {
    // fastify a few modules per turn of the loop, then the routes a few per turn, then ready() (lazy-api.ts)
    await loadFastifyInSteps();
    const { buildApiInSteps } = await import('./server.js');
    await turn();
    return buildApiInSteps(arbiter, { token, ...(tokens.length > 0 && { tokens }), maxWorkers: config.max_workers, baseDir: config.dir, adminListen: addr, log, upgrade: start.upgrade, serverFactory });
  }, log);
  const server = api.server;
  if (start.adoptFd !== undefined) {
    // the same socket, and file, the old tsgid served: tsgictl follows the new process
    await listen(server, { fd: start.adoptFd });
  } else if (addr.kind === 'unix') {
    runtimeDir(dirname(addr.path));
    // anyone may swap the socket in a world-writable folder without the sticky bit
    const folder = statSync(dirname(addr.path)).mode;
    if ((folder & 0o002) !== 0 && (folder & 0o1000) === 0) log.warn(`admin.listen: ${dirname(addr.path)} is writable by every user; put the admin socket in a folder only tsgid's user can write`);
    await clearStaleSocket(addr.path, 'admin.listen');
    // created with a umask that leaves no window in which others could connect
    const umask = process.umask(0o177);
    try {
      await listen(server, { path: addr.path });
    } finally {
      process.umask(umask);
    }
    chmodSync(addr.path, 0o600);
  } else {
    await listen(server, { host: addr.host, port: addr.port });
    if (addr.host === 'localhost') await listenOnLocalhost(api);
  }
  const bound = server.address();
  const address = formatListen(addr.kind === 'tcp' && bound !== null && typeof bound === 'object' ? { ...addr, port: bound.port } : addr);
  return { address, server, close: () => api.close() };
}

function listen(server: net.Server, options: net.ListenOptions | { fd: number }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * `localhost` as fastify's listen() takes it (lib/server.js, multipleBindings): the first address
 * it resolves to is the server's, and every other one (::1 and 127.0.0.1) is bound on the same port
 * too, best effort, and closed with it; so a client that resolves localhost otherwise still connects.
 */
async function listenOnLocalhost(api: LazyApi): Promise<void> {
  const main = api.server;
  const primary = main.address() as net.AddressInfo;
  const addresses = await lookup('localhost', { all: true }).catch(() => []);
  await Promise.all(
    addresses
      .filter((a) => a.address !== primary.address)
      .map(async (a) => {
        const other = createServer();
        api.serveAlso(other);
        try {
          await listen(other, { host: a.address, port: primary.port });
        } catch {
          return;
        }
        main.once('close', () => other.close());
      }),
  );
}

function resolveToken(config: Config, log: Logger): string {
  const { token, token_file: file, listen } = config.admin;
  if (token !== undefined && token !== '') return token;
  if (existsSync(file)) {
    const fromFile = readFileSync(file, 'utf8').trim();
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) log.warn(`admin.token_file: ${file} has mode 0${mode.toString(8)}, open to other users; chmod 600 it`);
    if (fromFile !== '') return fromFile;
  }
  if (listen.kind === 'tcp' && !isLoopback(listen.host)) {
    throw new TsgiError('TSGI_ERR_CONFIG_INVALID', `admin.listen: ${listen.raw} is not a loopback address; set admin.token or admin.token_file`);
  }
  const generated = randomBytes(24).toString('base64url');
  runtimeDir(dirname(file));
  writeFileSync(file, `${generated}\n`, { mode: 0o600 });
  log.info(`admin API token generated into ${file} (mode 0600)`);
  return generated;
}
