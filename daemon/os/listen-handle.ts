/**
 * The accepting end of a listening net.Server (its libuv `_handle`), for what an upgrade and
 * systemd's fd store need of it: its fd, and connections accepted by another process (passed
 * over IPC) served as if this server had accepted them.
 */
import type net from 'node:net';

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
