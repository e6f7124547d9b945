/**
 * Where the admin API listens and who may call it: a unix socket created 0600 (the file mode is
 * the gate, as with a gunicorn control socket), or TCP with a mandatory bearer token.
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import type { Arbiter } from '../daemon/arbiter.js';
import { formatListen, type Config } from '../daemon/config/index.js';
import { TsgiError } from '../daemon/errors.js';
import type { Logger } from '../daemon/log.js';
import { clearStaleSocket } from '../daemon/sockets.js';
import { runtimeDir } from '../daemon/runtime-dir.js';
import type net from 'node:net';
import type { UpgradeResult } from '../daemon/upgrade.js';
import { buildApi } from './server.js';

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

export async function startAdminApi(arbiter: Arbiter, config: Config, log: Logger, token: string | undefined, start: AdminStart = {}): Promise<AdminApi> {
  const addr = config.admin.listen;
  const app = buildApi(arbiter, { token, maxWorkers: config.max_workers, baseDir: config.dir, adminListen: addr, log, upgrade: start.upgrade });
  if (start.adoptFd !== undefined) {
    // the same socket, and file, the old tsgid served: tsgictl follows the new process
    await app.ready();
    await new Promise<void>((resolve, reject) => {
      app.server.once('error', reject);
      app.server.listen({ fd: start.adoptFd }, resolve);
    });
  } else if (addr.kind === 'unix') {
    runtimeDir(dirname(addr.path));
    // anyone may swap the socket in a world-writable folder without the sticky bit
    const folder = statSync(dirname(addr.path)).mode;
    if ((folder & 0o002) !== 0 && (folder & 0o1000) === 0) log.warn(`admin.listen: ${dirname(addr.path)} is writable by every user; put the admin socket in a folder only tsgid's user can write`);
    await clearStaleSocket(addr.path, 'admin.listen');
    // created with a umask that leaves no window in which others could connect
    const umask = process.umask(0o177);
    try {
      await app.listen({ path: addr.path });
    } finally {
      process.umask(umask);
    }
    chmodSync(addr.path, 0o600);
  } else {
    await app.listen({ host: addr.host, port: addr.port });
  }
  const bound = app.server.address();
  const address = formatListen(addr.kind === 'tcp' && bound !== null && typeof bound === 'object' ? { ...addr, port: bound.port } : addr);
  return { address, server: app.server, close: () => app.close() };
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

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
}
