/**
 * The listening sockets the arbiter holds for the life of an app, whatever its workers do.
 * The arbiter accepts (it never reads a byte) and hands each connection to a worker, as
 * node:cluster's round-robin does, so a connection made while no worker lives waits instead of
 * being refused, and a draining worker simply stops being handed new ones.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { formatListen, type ListenAddress } from '../config/index.js';
import { TsgiError } from '../errors.js';
import type { Connection } from '../protocol.js';

type OnConnection = (conn: Connection) => void;

/**
 * Called as each passed fd starts being served, before any of its connections is accepted: a
 * tsgid taking over from another (daemon/upgrade/upgrade-successor.ts) sends what it accepts to the old
 * one until its own workers are ready.
 */
let onAdopt: ((server: net.Server, fd: number) => void) | undefined;
export function setAdoptHook(hook: ((server: net.Server, fd: number) => void) | undefined): void {
  onAdopt = hook;
}

/**
 * Sockets handed to a new tsgid (daemon/upgrade/upgrade.ts) that closing would break: Node unlinks the
 * file of a unix socket it bound when it closes it, which would leave the new tsgid a socket no
 * client can find. These stay open until this process exits (which unlinks nothing).
 */
const keptForSuccessor = new WeakSet<net.Server>();
export function keepForSuccessor(server: net.Server): void {
  keptForSuccessor.add(server);
}

/** The part of a listening net.Server's `_handle` (lib/net.js, Node 0.x to 24) that accepts. */
interface ListenHandle {
  onconnection: (status: number, client?: Connection) => void;
}

/** A listen() callback: take the accepting over, then resolve. */
function takeOver(server: net.Server, onConnection: OnConnection, where: string, resolve: () => void, reject: (err: Error) => void): () => void {
  return () => {
    try {
      acceptBare(server, onConnection, where);
      resolve();
    } catch (err) {
      reject(err as Error);
    }
  };
}

/**
 * From now on `server`'s accepted connections go to `onConnection` as bare handles, never as
 * Sockets. node:cluster's round-robin does exactly this with its own server's `_handle`
 * (lib/internal/cluster/round_robin_handle.js). Called in the 'listening' callback: Node sets its
 * own onconnection just before, and no connection can be accepted in between.
 */
function acceptBare(server: net.Server, onConnection: OnConnection, where: string): void {
  const handle = (server as unknown as { _handle?: ListenHandle })._handle;
  if (typeof handle?.onconnection !== 'function') {
    server.close();
    throw new TsgiError('TSGI_ERR_LISTEN_FAILED', `${where}: this Node's net.Server has no _handle.onconnection to take connections from`);
  }
  // a failed accept (EMFILE) comes as a status below 0 and no handle: the daemon lives on, and the
  // connection waits in the kernel's backlog for the next try
  handle.onconnection = (status, client) => {
    if (status === 0 && client !== undefined) onConnection(client);
  };
}

export async function openListener(addr: ListenAddress, onConnection: OnConnection, where: string, backlog = 2048): Promise<net.Server> {
  if (addr.kind === 'unix') await clearStaleSocket(addr.path, where);
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, addr, where)));
    const listening = takeOver(server, onConnection, where, resolve, reject);
    if (addr.kind === 'unix') server.listen({ path: addr.path, backlog }, listening);
    else server.listen({ host: addr.host, port: addr.port, backlog }, listening);
  });
  // accept errors never come here (acceptBare); nothing else on a listening socket may take the daemon down
  server.on('error', () => {});
  return server;
}

/**
 * Serve a listening socket passed by systemd (socket activation) instead of binding one. Its
 * address is read back from the kernel, so it can be matched to the app's configured addresses.
 * Closing it later closes only tsgid's copy: systemd keeps the socket, and a unix socket's file.
 */
export async function adoptListener(fd: number, onConnection: OnConnection, where: string, backlog = 2048): Promise<{ server: net.Server; addr: ListenAddress }> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    const refuse = (err: Error): void => reject(new TsgiError('TSGI_ERR_LISTEN_FAILED', `${where}: cannot serve the passed fd ${fd}: ${err.message}`, { cause: err }));
    server.once('error', refuse);
    const listening = takeOver(server, onConnection, where, () => {
      onAdopt?.(server, fd);
      resolve();
    }, reject);
    // an fd that is no stream socket (a datagram one, a file) throws here rather than emitting
    try {
      server.listen({ fd, backlog }, listening);
    } catch (err) {
      refuse(err as Error);
    }
  });
  // as in openListener
  server.on('error', () => {});
  const a = server.address();
  if (a !== null && typeof a === 'object') return { server, addr: { kind: 'tcp', host: a.address, port: a.port, raw: `${a.address}:${a.port}` } };
  // Node knows no address for a unix socket it did not bind itself
  const path = unixSocketPath(fd) ?? `fd:${fd}`;
  return { server, addr: { kind: 'unix', path, raw: `unix:${path}` } };
}

/** The path a unix socket fd is bound to, from the kernel's table (Linux, as systemd is). */
function unixSocketPath(fd: number): string | undefined {
  try {
    const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
    if (inode === undefined) return undefined;
    // columns: Num RefCount Protocol Flags Type St Inode Path (the path may hold spaces)
    for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
      const m = /^(?:\S+\s+){6}(\d+) (.+)$/.exec(line.trim());
      if (m?.[1] === inode) return m[2];
    }
  } catch {
    // no /proc: the socket is served all the same, under a name that matches no configured address
  }
  return undefined;
}

/**
 * Stop accepting at once: the listening handle (and a unix socket's file) goes right away. The
 * connections already handed to workers are theirs to finish (the drain's business).
 */
export function closeListener(server: net.Server): void {
  if (keptForSuccessor.has(server)) return;
  server.close();
}

/** The address actually bound (port 0 → the port the kernel chose). */
export function boundAddress(server: net.Server, addr: ListenAddress): ListenAddress {
  const a = server.address();
  if (addr.kind === 'tcp' && a !== null && typeof a === 'object') return { ...addr, port: a.port, raw: `${addr.host}:${a.port}` };
  return addr;
}

/** For `tsgid --check`: can this address be bound right now? */
export async function probeListen(addr: ListenAddress, where: string): Promise<void> {
  const server = await openListener(addr, (conn) => conn.close(), where);
  await new Promise((resolve) => server.close(resolve));
}

function listenError(err: NodeJS.ErrnoException, addr: ListenAddress, where: string): TsgiError {
  if (err.code === 'EADDRINUSE') {
    return new TsgiError('TSGI_ERR_LISTEN_IN_USE', `${where}: ${formatListen(addr)} is already in use by another process`, { cause: err });
  }
  return new TsgiError('TSGI_ERR_LISTEN_FAILED', `${where}: cannot listen on ${formatListen(addr)}: ${err.message}`, { cause: err });
}

/** A socket file left by a daemon that was killed is removed; one with a live server behind it is in use. */
export async function clearStaleSocket(path: string, where: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) {
    throw new TsgiError('TSGI_ERR_LISTEN_FAILED', `${where}: ${path} exists and is not a socket`);
  }
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path }, () => {
      probe.destroy();
      resolve(true);
    });
    probe.on('error', () => resolve(false));
  });
  if (live) throw new TsgiError('TSGI_ERR_LISTEN_IN_USE', `${where}: unix:${path} is already in use by another process`);
  unlinkSync(path);
}
