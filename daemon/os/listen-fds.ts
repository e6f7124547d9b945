/**
 * systemd socket activation (sd_listen_fds): listening sockets handed to tsgid as fds 3, 4, …
 * with LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES. Each fd goes to the app named like it
 * (FileDescriptorName= in the .socket unit), so systemd keeps the sockets, and connections made
 * while tsgid restarts wait in their backlog instead of being refused.
 */
import { isTsgiError, TsgiError } from '../errors.js';

/** The first passed fd, by the protocol (0, 1, 2 are stdio). */
const SD_LISTEN_FDS_START = 3;

/** sd_listen_fds_with_names()'s name for an fd when LISTEN_FDNAMES gives none. */
const NO_NAME = 'unknown';

export interface PassedFd {
  fd: number;
  /** the FileDescriptorName= of the socket; "unknown" when none was given, as systemd does */
  name: string;
  /**
   * A socket tsgid bound itself, handed to this process by the tsgid it replaces (an upgrade) or
   * kept in systemd's fd store: it stands for the configured address `key` (from the store: the
   * one it overlaps), and goes when the app stops listing it, unlike a .socket unit's.
   */
  owned?: { key?: string };
}

/**
 * An fd that names no particular app: LISTEN_FDNAMES absent, or systemd's default name, the
 * .socket unit's own (app names cannot hold a dot, so no app is ever called that).
 */
function unnamed(p: PassedFd): boolean {
  return p.name === NO_NAME || p.name.endsWith('.socket');
}

function claims(p: PassedFd, app: string, appCount: number): boolean {
  return p.name === app || (appCount === 1 && unnamed(p));
}

function describeFd(p: PassedFd): string {
  return p.name === NO_NAME ? `fd ${p.fd} (unnamed)` : `fd ${p.fd} ("${p.name}")`;
}

/** Why no app takes this fd, for the startup error. */
function stray(p: PassedFd, appCount: number): string {
  if (!unnamed(p)) return `fd ${p.fd} is named "${p.name}", which is no app's name`;
  const name = p.name === NO_NAME ? 'has no name (LISTEN_FDNAMES does not name it)' : `has only systemd's default name, "${p.name}"`;
  return `fd ${p.fd} ${name}, so ${appCount > 1 ? `it could be for any of the ${appCount} apps` : 'it is for no app'}`;
}

export class PassedFds {
  /** every fd passed, claimed or not */
  readonly all: readonly PassedFd[];
  private unclaimed: PassedFd[];

  constructor(fds: PassedFd[]) {
    this.all = fds;
    this.unclaimed = [...fds];
  }

  /**
   * Before anything is bound: every fd must be some app's. A socket no app takes would be held
   * open and never served (its clients wait in the backlog for ever), and the app that lists its
   * address would fail to bind it with a mere "in use", so this is a startup error that says why.
   */
  check(apps: readonly string[]): void {
    const left = this.unclaimed.filter((p) => !apps.some((app) => claims(p, app, apps.length)));
    if (left.length === 0) return;
    const names = apps.length === 0 ? 'the config has no apps' : `apps: ${apps.join(', ')}`;
    throw new TsgiError(
      'TSGI_ERR_LISTEN_FD_UNMATCHED',
      `LISTEN_FDS: ${left.map((p) => stray(p, apps.length)).join('; ')} (${names}); set FileDescriptorName= in each .socket unit to the name of the app its sockets are for (systemd passes it to tsgid as LISTEN_FDNAMES)`,
    );
  }

  /**
   * The fds for this app, handed out once. Unnamed fds (LISTEN_FDNAMES absent, or systemd's
   * default name) go to a config with a single app, as that can mean nothing else.
   */
  take(app: string, appCount: number): PassedFd[] {
    const mine = this.unclaimed.filter((p) => claims(p, app, appCount));
    this.unclaimed = this.unclaimed.filter((p) => !mine.includes(p));
    return mine;
  }

  /**
   * An address tsgid cannot bind because it is in use, while systemd passed sockets: systemd likely
   * holds it, in a socket named for another app or in a unit not passed to tsgid at all. The
   * error then says so, and what to change.
   */
  explainInUse(err: unknown, app: string): unknown {
    if (this.all.length === 0 || !isTsgiError(err) || err.code !== 'TSGI_ERR_LISTEN_IN_USE') return err;
    return new TsgiError(
      err.code,
      `${err.message}; systemd passed tsgid ${this.all.map(describeFd).join(', ')} (LISTEN_FDS): if systemd holds this address, set FileDescriptorName=${app} in its .socket unit (systemd passes it as LISTEN_FDNAMES) and list the unit in the service's Sockets=, so that its socket comes to this app instead of being bound again`,
      { cause: err },
    );
  }
}

/**
 * Read and remove the activation variables, so the workers (which inherit the environment) do
 * not believe the fds are theirs. Fds meant for another process (LISTEN_PID differs) are ignored.
 */
export function takePassedFds(env: NodeJS.ProcessEnv = process.env, pid = process.pid): PassedFds {
  const count = Number(env.LISTEN_FDS);
  const forUs = env.LISTEN_PID !== undefined && Number(env.LISTEN_PID) === pid;
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
  if (!forUs || !Number.isInteger(count) || count <= 0) return new PassedFds([]);
  const fds: PassedFd[] = [];
  for (let i = 0; i < count; i++) fds.push({ fd: SD_LISTEN_FDS_START + i, name: names[i] || NO_NAME });
  return new PassedFds(fds);
}
