/**
 * Who an app's workers run as: the `user`, `group` and `umask` kinds, and the rule that tsgid
 * running as root never starts an app as root by omission (supervisord's `user`, gunicorn's
 * `user`/`group`/`umask`). The arbiter keeps the sockets, the log files and the TLS keys, so a
 * worker needs no privilege beyond reading its own code.
 */
import { fileURLToPath } from 'node:url';
import type { Rule } from './declare.js';
import { describe, ValueError } from './issues.js';
import type { Kind } from './kinds.js';
import { appModules } from './modules.js';
import { findGroup, findUser, firstDenied, type GroupAccount, type UserAccount } from './users.js';

/** The file process-ops.ts forks: the worker's account must be able to read it. */
const WORKER_BUNDLE = fileURLToPath(new URL('../worker/bundle.js', import.meta.url));

/** A user or group kind: a name or number, resolved now so an unknown one fails with its line. */
function account<T>(what: 'user' | 'group', file: string, find: (key: string | number) => T | undefined, hint: string): Kind<T> {
  return {
    type: what,
    format: `A ${what} name or ${what === 'user' ? 'uid' : 'gid'}, known to ${file} (or NSS, through \`getent\`).`,
    schema: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'integer', minimum: 0 }] },
    parse(v) {
      if (!((typeof v === 'string' && v !== '') || (Number.isSafeInteger(v) && (v as number) >= 0))) throw new ValueError(`expected a ${what} name or number, got ${describe(v)}`);
      const found = find(v as string | number);
      if (found !== undefined) return found;
      throw new ValueError(`no ${what} ${JSON.stringify(v)} in ${file} or getent: ${hint}`, 'TSGI_ERR_CONFIG_USER');
    },
  };
}

export const user = account('user', '/etc/passwd', findUser, 'create it (useradd --system --no-create-home NAME) or name another');
export const group = account('group', '/etc/group', findGroup, 'create it (groupadd --system NAME) or name another');

const OCTAL = /^0?[0-7]{3}$/;

export const umask: Kind<number> = {
  type: 'octal string',
  format: 'A file mode mask as a quoted octal string: `"0027"`, `"0077"`.',
  schema: { type: 'string', pattern: OCTAL.source },
  parse(v) {
    // YAML 1.2 reads an unquoted 0027 as the decimal 27, which would be a different mask
    if (typeof v === 'number') throw new ValueError(`expected a quoted octal string such as "0027", got the number ${v} (YAML reads an unquoted 0027 as decimal 27): quote it`);
    if (typeof v === 'string' && OCTAL.test(v)) return parseInt(v, 8);
    throw new ValueError(`expected an octal umask such as "0027", got ${describe(v)}`);
  },
};

interface PrivilegeValues {
  user?: UserAccount;
  group?: GroupAccount;
  cwd: string;
  app?: string;
  mounts?: Record<string, string>;
}

/** The ids a worker is spawned with (fork's uid/gid); none: it runs as tsgid does. */
export function workerIds(values: { user?: UserAccount; group?: GroupAccount }): { uid?: number; gid?: number } {
  const gid = values.group?.gid ?? values.user?.gid;
  return { ...(values.user !== undefined && { uid: values.user.uid }), ...(gid !== undefined && { gid }) };
}

/**
 * Checked against the account tsgid runs as (ParseContext.runner; absent when no daemon is
 * involved, e.g. unit tests of the parser). As root: `user` is required, then its account must
 * be able to read the worker, enter `cwd` and read the app's modules. As anyone else: `user`
 * and `group`, if set, are tsgid's own, since only root can switch.
 */
export const privileges: Rule<PrivilegeValues> = {
  description: 'When tsgid runs as root, `user` is set (`root` to run the app as root on purpose) and that account can read the worker and the app; when tsgid is not root, `user` and `group` are its own.',
  check(values, ctx) {
    const runner = ctx.runner;
    if (runner === undefined) return;
    const { user: u, group: g } = values;
    if (runner.uid !== 0) {
      if (u !== undefined && u.uid !== runner.uid) throw new ValueError(`tsgid runs as uid ${runner.uid}, not root, so it cannot run workers as user "${u.name}" (uid ${u.uid}): remove "user", or run tsgid as root (or as ${u.name})`, 'TSGI_ERR_CONFIG_USER', ['user']);
      // the user's primary group too: fork would setgid to it, which only root may do
      const gid = workerIds(values).gid;
      if (gid !== undefined && gid !== runner.gid) {
        const which = g !== undefined ? `group "${g.name}"` : `user "${u!.name}"'s primary group`;
        throw new ValueError(`tsgid runs as gid ${runner.gid}, not root, so it cannot run workers in ${which} (gid ${gid}): ${g !== undefined ? 'remove "group"' : `set "group" to gid ${runner.gid}`}, or run tsgid as root`, 'TSGI_ERR_CONFIG_USER', [g !== undefined ? 'group' : 'user']);
      }
      return;
    }
    if (u === undefined) {
      if (runner.allowRoot) return;
      throw new ValueError('tsgid runs as root and this app sets no "user", so its workers would run as root: set "user" to the account they should run as (user: www-data), or "user: root" to run them as root on purpose', 'TSGI_ERR_CONFIG_ROOT', [], 'key');
    }
    if (u.uid === 0) return;
    const { uid, gid } = workerIds(values) as { uid: number; gid: number };
    const checks = [
      // the Node that runs tsgid runs its workers: one under root's home (nvm, an npx cache) is out of their reach
      { path: process.execPath, need: 'x' as const, what: 'the node binary (process.execPath)' },
      { path: WORKER_BUNDLE, need: 'r' as const, what: "tsgi's worker" },
      { path: values.cwd, need: 'x' as const, what: 'the app\'s cwd' },
      ...appModules(values).flatMap((m) => (m.file === undefined ? [] : [{ path: m.file, need: 'r' as const, what: 'the app module' }])),
    ];
    const denied = firstDenied(uid, gid, checks);
    if (denied === undefined) return;
    const what = checks.find((c) => c.path === denied.path && c.need === denied.need)?.what ?? 'a file';
    const verb = denied.need === 'r' ? 'read' : denied.path === process.execPath ? 'run' : 'enter';
    throw new ValueError(`user "${u.name}" (uid ${uid}, gid ${gid}) cannot ${verb} ${what}, ${denied.path}: let that user or group ${verb} it and every directory above it (chmod, chown)`, 'TSGI_ERR_CONFIG_USER', ['user']);
  },
};
