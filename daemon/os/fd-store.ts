/**
 * systemd's fd store (FileDescriptorStoreMax= in the unit, systemd 254+): tsgid gives systemd a
 * copy of each TCP socket it bound (sd_notify FDSTORE=1, through `systemd-notify --fd`), so that
 * while tsgid restarts (`systemctl restart`, or Restart= after a crash of tsgid itself) the
 * sockets stay bound and clients wait in their backlog instead of being refused. systemd passes
 * them back as LISTEN_FDS named `<app>@tsgid`; tsgid serves them as its own (a config that no
 * longer lists the address closes them), unlike a .socket unit's.
 *
 * Not stored: a unix socket tsgid bound (Node unlinks its file when tsgid closes it at stop, which
 * would leave systemd a socket no client can reach: use a .socket unit for those), the admin API.
 */
import { spawn } from 'node:child_process';
import type net from 'node:net';
import { PassedFds } from './listen-fds.js';
import type { Logger } from '../log.js';
import type { Notifier } from './sd-notify.js';
import { handleFd } from './listen-handle.js';
import type { HeldSocket } from './socket-registry.js';

const SUFFIX = '@tsgid';

/** $FDSTORE (systemd 254+: FileDescriptorStoreMax=), read and removed before a worker inherits it. */
let storeMax = 0;
/** per app: the fd numbers systemd gave back from the store */
const restored = new Map<string, number[]>();

/** The passed fds, those from the fd store marked as tsgid's own. */
export function fromFdStore(passed: PassedFds, env: NodeJS.ProcessEnv = process.env): PassedFds {
  storeMax = Number(env.FDSTORE ?? 0) || 0;
  delete env.FDSTORE;
  if (!passed.all.some((p) => p.name.endsWith(SUFFIX))) return passed;
  return new PassedFds(
    passed.all.map((p) => {
      if (!p.name.endsWith(SUFFIX)) return p;
      const app = p.name.slice(0, -SUFFIX.length);
      restored.set(app, [...(restored.get(app) ?? []), p.fd]);
      return { fd: p.fd, name: app, owned: {} };
    }),
  );
}

/** Give systemd a copy of every TCP socket tsgid bound, one message per app (one FDNAME each). */
export async function storeFds(systemd: Notifier, arbiter: { heldSockets(): HeldSocket[] }, _admin: net.Server, log: Logger, command = 'systemd-notify'): Promise<void> {
  if (systemd.socket === undefined || storeMax <= 0) return;
  const byApp = new Map<string, number[]>();
  for (const s of arbiter.heldSockets()) {
    if (!s.owned || typeof s.server.address() !== 'object') continue;
    byApp.set(s.app, [...(byApp.get(s.app) ?? []), handleFd(s.server)]);
  }
  for (const [app, fds] of byApp) {
    const fields = ['FDSTORE=1'];
    // a restored socket the config no longer lists was closed: systemd must let go of it too
    if ((restored.get(app) ?? []).some((fd) => !fds.includes(fd))) await send(command, systemd.socket, [`FDSTOREREMOVE=1`, `FDNAME=${app}${SUFFIX}`], [], log);
    await send(command, systemd.socket, fields, fds, log, `--fdname=${app}${SUFFIX}`);
  }
  restored.clear();
}

function send(command: string, socket: string, fields: string[], fds: number[], log: Logger, ...flags: string[]): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(command, [...fds.map((_, i) => `--fd=${3 + i}`), ...flags, ...fields], { env: { ...process.env, NOTIFY_SOCKET: socket }, stdio: ['ignore', 'ignore', 'pipe', ...fds] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', (err) => {
      log.warn(`fd store: ${command} cannot be run (${err.message}); the sockets are not kept across a restart`);
      resolve();
    });
    child.on('close', (code) => {
      if (code !== 0) log.warn(`fd store: ${command} ${fields.join(' ')} exited with ${code}${stderr === '' ? '' : `: ${stderr.trim()}`} (systemd 254 or later is needed for --fd)`);
      resolve();
    });
  });
}
