/**
 * What the old and the new tsgid say to each other over the IPC channel of an upgrade
 * (upgrade.ts, upgrade-successor.ts), and the two socket internals both sides need.
 */
import type net from 'node:net';
import type { AppConfig } from './config/index.js';

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
  /** apps added through the admin API, as they run (the config file does not name them) */
  added: AppConfig[];
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

interface ListenHandle {
  fd?: number;
  onconnection: (status: number, client?: unknown) => void;
}

function handleOf(server: net.Server): ListenHandle | undefined {
  return (server as unknown as { _handle?: ListenHandle | null })._handle ?? undefined;
}

/** A listening server's fd (libuv's, Linux), to pass to the new tsgid. */
export function handleFd(server: net.Server): number {
  const fd = handleOf(server)?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('a listening socket has no fd to hand over');
  return fd;
}

/** Serve a connection another tsgid accepted as if `server` had accepted it; closed if no server takes it. */
export function deliver(server: net.Server | undefined, client: unknown): void {
  const handle = server === undefined ? undefined : handleOf(server);
  if (handle === undefined) return void (client as { close?: () => void } | undefined)?.close?.();
  handle.onconnection(0, client);
}

/**
 * Put `divert` in front of a listening server's accepting: while it returns true the connection
 * is its business. Returns the undo, which puts the plain accepting back (nothing in the way).
 */
export function divertAccepts(server: net.Server, divert: (client: unknown) => boolean): () => void {
  const handle = handleOf(server);
  if (handle === undefined) return () => {};
  const local = handle.onconnection;
  handle.onconnection = function (this: unknown, status, client) {
    if (status === 0 && client !== undefined && divert(client)) return;
    local.call(this, status, client);
  };
  return () => {
    handle.onconnection = local;
  };
}
