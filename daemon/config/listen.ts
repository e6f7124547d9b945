/**
 * Listen addresses: `HOST:PORT`, `[IPv6]:PORT`, `:PORT` (all interfaces) or `unix:PATH`.
 */
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { resolve } from 'node:path';
import { describe, ValueError } from './issues.js';

export type ListenAddress =
  | { kind: 'tcp'; host: string; port: number; raw: string }
  | { kind: 'unix'; path: string; raw: string };

const EXPECTED = 'expected a listen address "HOST:PORT", ":PORT" or "unix:PATH"';
const TCP = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/;
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const WILDCARDS = new Set(['0.0.0.0', '::']);

/** Parses one address; a relative unix socket path is resolved against `dir`. */
export function parseListen(v: unknown, dir: string): ListenAddress {
  if (typeof v !== 'string') throw new ValueError(`${EXPECTED}, got ${describe(v)}`);
  if (v.startsWith('unix:')) {
    const path = v.slice('unix:'.length);
    if (path === '') throw new ValueError(`expected a socket path after "unix:", got ${describe(v)}`);
    return { kind: 'unix', path: resolve(dir, path), raw: v };
  }
  const m = TCP.exec(v);
  if (!m) throw new ValueError(`${EXPECTED}, got ${describe(v)}`);
  const [, v6, named, digits = ''] = m;
  const host = v6 ?? (named || '0.0.0.0');
  const hostOk = v6 !== undefined ? isIPv6(v6) : isIPv4(host) || (HOSTNAME.test(host) && !/^[\d.]+$/.test(host));
  if (!hostOk) throw new ValueError(`expected an IPv4 address, a hostname or [IPv6] before ":${digits}", got ${describe(v)}`);
  const port = Number(digits);
  if (port > 65535) throw new ValueError(`expected a port from 0 to 65535, got ${describe(v)}`);
  return { kind: 'tcp', host, port, raw: v };
}

/** The canonical form: `127.0.0.1:8000`, `[::1]:8000`, `unix:/abs/path.sock`. */
export function formatListen(a: ListenAddress): string {
  if (a.kind === 'unix') return `unix:${a.path}`;
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * Whether two addresses cannot both be bound: the same socket path, or the same TCP port on the
 * same host or where either is a wildcard. Port 0 (ephemeral) never clashes.
 */
export function listensOverlap(a: ListenAddress, b: ListenAddress): boolean {
  if (a.kind === 'unix' || b.kind === 'unix') return a.kind === b.kind && formatListen(a) === formatListen(b);
  if (a.port === 0 || a.port !== b.port) return false;
  return a.host.toLowerCase() === b.host.toLowerCase() || WILDCARDS.has(a.host) || WILDCARDS.has(b.host);
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this host only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
}
