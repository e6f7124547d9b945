/**
 * Accounts: a user or group name (or number) → its ids, read from /etc/passwd and /etc/group, then
 * from `getent` (NSS: LDAP, sssd) when the files do not have it; and who tsgid itself runs as.
 * Resolved when the configuration is loaded, so an unknown name is an error with its line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface UserAccount {
  name: string;
  uid: number;
  /** the primary group, the default `group` */
  gid: number;
  /** its home directory: a worker run as this user gets it as HOME */
  home: string;
}

export interface GroupAccount {
  name: string;
  gid: number;
}

/** Who parses the configuration for the daemon: what it may switch to, and whether root workers were allowed for apps that set no `user`. */
export interface Runner {
  uid: number;
  gid: number;
  /** TSGI_ALLOW_ROOT=1: apps without `user` run as root when tsgid is root (for tests and throwaway containers). */
  allowRoot: boolean;
}

export function currentRunner(env: NodeJS.ProcessEnv = process.env): Runner {
  return { uid: process.geteuid?.() ?? -1, gid: process.getegid?.() ?? -1, allowRoot: env.TSGI_ALLOW_ROOT === '1' };
}

const ID = /^\d+$/;

/** The passwd entry for a name or a uid (a number, or a string of digits), or undefined. */
export function findUser(key: string | number): UserAccount | undefined {
  const fields = lookup('passwd', String(key), ID.test(String(key)) ? 2 : 0);
  return fields && { name: fields[0]!, uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] ?? '/' };
}

/** The group entry for a name or a gid, or undefined. */
export function findGroup(key: string | number): GroupAccount | undefined {
  const fields = lookup('group', String(key), ID.test(String(key)) ? 2 : 0);
  return fields && { name: fields[0]!, gid: Number(fields[2]) };
}

function lookup(db: 'passwd' | 'group', key: string, column: number): string[] | undefined {
  const fromFile = entries(readOr(`/etc/${db}`)).find((f) => f[column] === key);
  if (fromFile) return fromFile;
  try {
    // exit 2: no such entry; a missing getent (busybox images) means the files were all there is
    return entries(execFileSync('getent', [db, key], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] })).find((f) => f[column] === key);
  } catch {
    return undefined;
  }
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function entries(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('+') && !line.startsWith('-'))
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 4 && ID.test(f[2]!));
}

/**
 * The first of `checks` that uid:gid may not do, asked of the kernel itself (ACLs count) by a
 * shell running as that account: `r` read a file, `x` enter a directory. undefined: all allowed.
 */
export function firstDenied(uid: number, gid: number, checks: readonly { path: string; need: 'r' | 'x' }[]): { path: string; need: 'r' | 'x' } | undefined {
  if (checks.length === 0) return undefined;
  const script = 'for a do p=${a#?:}; case $a in r:*) [ -r "$p" ];; *) [ -x "$p" ];; esac || { printf %s "$a"; exit 1; }; done';
  const r = spawnSync('/bin/sh', ['-c', script, 'sh', ...checks.map((c) => `${c.need}:${c.path}`)], { uid, gid, encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
  // a shell that could not start or finish says nothing either way: the worker's boot will tell
  return r.status === 1 ? checks.find((c) => `${c.need}:${c.path}` === r.stdout) : undefined;
}
