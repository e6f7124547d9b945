/**
 * What a PM2 app without a port becomes in tsgi (docs/TSGI.md §10), and the command line PM2
 * would run for it:
 * - a Node script with no `args` or `node_args`: a background app's module (`app:`), imported in
 *   tsgi's worker runtime, where its top-level code runs as under PM2;
 * - anything else (an `interpreter`, a `.py`/`.sh`/… script, `args`, `node_args`, `npm`): a
 *   `command:`, the argv PM2 would exec, run without a shell;
 * - `cron_restart` with `autorestart: false`: PM2 starts the script on the schedule and lets it
 *   exit, which is a tsgi scheduled job (`cron` + `command`: a PM2 script exports no function to
 *   call, so it is run as a program). With autorestart on, `cron_restart` restarts a long-running
 *   app and has no tsgi setting (pm2-map.ts reports it).
 */
import { extname } from 'node:path';
import type { Pm2App } from './pm2-ecosystem.js';

/** PM2's interpreter by extension (lib/Common.js's default_interpreter map), `python` written as python3, the name most hosts have today. */
const BY_EXTENSION: Record<string, string> = { '.py': 'python3', '.sh': 'bash', '.rb': 'ruby', '.php': 'php', '.pl': 'perl', '.coffee': 'coffee', '.ls': 'lsc' };
const NODE_EXTENSIONS = /\.(c|m)?(j|t)sx?$/;
export const PACKAGE_MANAGERS: ReadonlySet<string> = new Set(['npm', 'yarn', 'pnpm', 'npx', 'bun']);

export type Program =
  | { kind: 'module'; why: string }
  | { kind: 'command'; argv: string[]; why: string };

/** The schedule of a PM2 app that PM2 runs to completion (cron_restart/cron with autorestart: false), if it is one. */
export function runToCompletion(app: Pm2App): string | undefined {
  const schedule = app.cron_restart ?? app.cron;
  return typeof schedule === 'string' && (app.autorestart === false || app.autorestart === 'false') ? schedule : undefined;
}

/** How a background app (or a job: `job` true) runs `script`. */
export function programOf(app: Pm2App, script: string, job: boolean): Program {
  const interp = typeof (app.interpreter ?? app.exec_interpreter) === 'string' ? String(app.interpreter ?? app.exec_interpreter) : undefined;
  const args = argList(app.args);
  if (runsOnNode(interp, script)) {
    const nodeArgs = argList(app.node_args ?? app.interpreter_args);
    if (!job && args.length === 0 && nodeArgs.length === 0 && NODE_EXTENSIONS.test(script)) {
      return { kind: 'module', why: `script: ${script}, a Node script with no port: imported in a tsgi worker, where its top-level code runs as under PM2. To finish its current job on reload or stop, export onDrain/onShutdown (PM2's SIGINT is not sent: tsgi stops a worker over its IPC channel)` };
    }
    const argv = [interp ?? 'node', ...nodeArgs, script, ...args];
    const why = job
      ? `script: ${script}${args.length > 0 ? ` with args` : ''}: each run is \`${argv.join(' ')}\` (a PM2 script exports no function to call, so it runs as a program)`
      : `script: ${script} with ${args.length > 0 ? 'args' : 'node_args'}: run as PM2 runs it, \`${argv.join(' ')}\` (a module gets no arguments)`;
    return { kind: 'command', argv, why };
  }
  const interpArgs = argList(app.interpreter_args);
  const argv = interp === 'none' || (interp === undefined && PACKAGE_MANAGERS.has(script)) ? [script, ...args] : [interp ?? BY_EXTENSION[extname(script)]!, ...interpArgs, script, ...args];
  const from = interp === undefined ? (PACKAGE_MANAGERS.has(script) ? 'a package manager' : `PM2's interpreter for ${extname(script)} (PM2 names python "python")`) : `interpreter: ${interp}`;
  return { kind: 'command', argv, why: `script: ${script}, ${from}${args.length > 0 ? ', args' : ''}: run without a shell; SIGTERM stops it, SIGKILL after graceful_timeout` };
}

/** PM2 runs a script with node unless told otherwise or its extension names another interpreter. */
function runsOnNode(interp: string | undefined, script: string): boolean {
  if (interp !== undefined) return /(^|\/)node$/.test(interp);
  return !PACKAGE_MANAGERS.has(script) && !Object.hasOwn(BY_EXTENSION, extname(script));
}

/** PM2 takes `args` as a list or one string, split on blanks with quotes kept together. */
function argList(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  if (Array.isArray(raw)) return raw.map(String);
  const out: string[] = [];
  for (const m of String(raw).matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}
