/**
 * The rules that tell an app's kind from its settings (docs/TSGI.md §10): a web app has `listen`;
 * an app without it is a background app, running `app` (a module, in tsgi's worker runtime) or
 * `command` (any program) N times under the same supervision, with no connections.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Rule } from './declare.js';
import { ValueError } from './issues.js';
import type { ListenAddress } from './listen.js';

const WHAT = ['app', 'mounts', 'command'] as const;

/** Exactly one of `app`, `mounts`, `command`; `mounts` needs `listen`, `command` takes none. */
export const oneKind: Rule<{ app?: string; mounts?: Record<string, string>; command?: string[]; listen: ListenAddress[] }> = {
  description: 'Exactly one of `app`, `mounts` or `command` is set. Without `listen` the app is a background app: `mounts` needs `listen`, and `command` takes no `listen` (a program tsgi does not host gets no connections from it).',
  schema: { oneOf: WHAT.map((k) => ({ properties: { [k]: true }, required: [k] })) },
  check(values) {
    const set = WHAT.filter((k) => values[k] !== undefined);
    if (set.length === 0) throw new ValueError('expected one of "app", "mounts" or "command", got none', undefined, [], 'key');
    if (set.length > 1) throw new ValueError(`expected only one of "app", "mounts" or "command", got ${set.map((k) => `"${k}"`).join(' and ')}`, undefined, [set[1]!], 'key');
    if (values.mounts !== undefined && values.listen.length === 0) throw new ValueError('expected "listen" with "mounts": mounts route requests by URL prefix, and an app without listen gets none', undefined, ['mounts'], 'key');
    if (values.command !== undefined && values.listen.length > 0) throw new ValueError('expected no "listen" with "command": a command runs as a background process and gets no connections (to serve a non-Node program, put it behind its own port)', undefined, ['listen'], 'key');
  },
};

/** The program of `command` exists and is executable: a path against `cwd`, a bare name on PATH (the app's `env.PATH`, else tsgid's). */
export const commandExists: Rule<{ command?: string[]; cwd: string; env: Record<string, string> }> = {
  description: "`command`'s program exists and is executable: a name with a `/` relative to `cwd`, a bare name found on PATH (the app's `env.PATH`, else tsgid's).",
  check(values) {
    if (values.command === undefined) return;
    const program = values.command[0]!;
    if (findProgram(program, values.cwd, values.env.PATH ?? process.env.PATH ?? '') !== undefined) return;
    const where = program.includes('/') ? `looked for ${resolve(values.cwd, program)}` : `not on PATH (${values.env.PATH !== undefined ? 'env.PATH' : "tsgid's PATH"})`;
    throw new ValueError(`command not found or not executable: ${JSON.stringify(program)} (${where})`, 'TSGI_ERR_CONFIG_APP_MISSING', ['command', 0]);
  },
};

/** The file a program name runs, as execvp would find it; undefined when none is executable. */
export function findProgram(program: string, cwd: string, path: string): string | undefined {
  const candidates = program.includes('/') ? [isAbsolute(program) ? program : resolve(cwd, program)] : path.split(delimiter).filter(Boolean).map((dir) => join(resolve(cwd, dir), program));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}
