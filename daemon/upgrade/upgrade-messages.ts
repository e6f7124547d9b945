/**
 * What the old and the new tsgid say to each other over the IPC channel of an upgrade
 * (upgrade.ts, upgrade-successor.ts); the socket internals both sides need are in
 * os/listen-handle.ts.
 */
/** One inherited fd, at LISTEN_FDS position `i` (fd 3 + i). */
export interface HandoverFd {
  role: 'app' | 'admin';
  app?: string;
  /** the configured address it stands for (canonical form) */
  key: string;
  /** bound by tsgid, not passed by systemd from a .socket unit */
  owned: boolean;
}

/** old → new, first: everything the new tsgid must know besides the config file. */
export interface Handover {
  t: 'handover';
  from: number;
  /** upgrades that led to the old tsgid */
  upgrades: number;
  fds: HandoverFd[];
  /** the npm (npx) the old tsgid stops with, which the new one watches instead of its parent */
  launcher?: number;
  /** apps running in the old tsgid: the new one is ready when each of these is */
  ready_apps: string[];
  /** where the new tsgid writes why it could not start, before it exits (0600, beside the pidfile) */
  failure_file: string;
}

export type UpgradeMessage =
  | Handover
  /** new → old: every app is ready; the old stops accepting and drains */
  | { t: 'ready'; pid: number; version: string }
  /** new → old: it cannot take over, and exits */
  | { t: 'failed'; message: string }
  /** either way, with a connection's handle: accepted on socket `i` by the one not serving it */
  | { t: 'conn'; i: number };
