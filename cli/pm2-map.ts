/**
 * PM2 app options → tsgi app settings (daemon/config/settings.ts), one option at a time. Each
 * mapped setting carries a comment saying where it came from; every option that has no tsgi
 * equivalent is reported with why, never dropped in silence. An app without a port (a queue
 * consumer, a Python worker, a script PM2 runs on cron_restart) is a background app or a scheduled
 * job (pm2-program.ts says which, and how it runs).
 */
import { availableParallelism } from 'node:os';
import { isAbsolute, relative, resolve } from 'node:path';
import { APP_NAME } from '../daemon/config/settings.js';
import type { Pm2App } from './pm2-ecosystem.js';
import { PACKAGE_MANAGERS, programOf, runToCompletion } from './pm2-program.js';

export interface Mapped {
  key: string;
  value: unknown;
  comment?: string;
}

export interface AppMapping {
  /** the app's key under `apps:` */
  name: string;
  /** undefined: the app as a whole cannot be mapped (`skipped` says why) */
  settings?: Mapped[];
  skipped?: string;
  unmapped: Array<{ option: string; why: string }>;
}

export interface MapOptions {
  /** the ecosystem file's directory: PM2 resolves `cwd` and `script` from it */
  base: string;
  /** the directory the tsgi.yaml is written to: `cwd` is written relative to it */
  outDir: string;
  /** `--env production` merges `env_production` over `env`, as `pm2 start --env production` */
  envName?: string;
}

/** Options with no tsgi setting, and why; anything else unknown is reported as "not a PM2 option tsgi knows". */
const UNMAPPABLE: Record<string, string> = {
  cron_restart: "restarts a long-running app on a schedule; tsgi's `cron` runs a job that exits on its own, not a restart: run `tsgictl reload APP` from a systemd timer or crontab for the same effect (with autorestart: false, PM2 runs the script to completion on the schedule, and tsgictl import makes it a `cron` job)",
  args: 'a web app is imported as a module, which gets no command-line arguments (read them from env instead); an app without a port gets them, as a `command`',
  autorestart: 'tsgi always replaces a worker that exits (restart.max_failures bounds a crash loop)',
  log_date_format: "tsgi prefixes every log line with its own ISO time",
  time: "tsgi prefixes every log line with its own ISO time",
  merge_logs: 'tsgi writes one file per app already',
  combine_logs: 'tsgi writes one file per app already',
  pid_file: 'tsgi keeps one pid file for the daemon (tsgid --pidfile), none per worker',
  instance_var: 'tsgi sets no per-worker instance variable (NODE_APP_INSTANCE)',
  increment_var: 'tsgi sets no per-worker variable',
  wait_ready: "not needed: a worker is ready once its listen() (or its export) is loaded; process.send('ready') is ignored",
  shutdown_with_message: 'tsgi drains a worker over its own channel; the app needs no message',
  source_map_support: 'use NODE_OPTIONS=--enable-source-maps in env',
  vizion: 'tsgi keeps no version-control metadata',
  post_update: 'tsgi does not update code; deploy it and run tsgictl reload',
  force: 'tsgi starts each app once',
  treekill: 'tsgi always stops a worker and what it started with it',
  pmx: 'no PM2 monitoring agent; tsgi has /metrics',
  automation: 'no PM2 monitoring agent; tsgi has /metrics',
  namespace: 'tsgi has no namespaces; apps are addressed by name',
  filter_env: 'tsgi passes no environment by default (inherit_env lists what it passes)',
  append_env_to_name: 'each tsgi app has one name',
  stop_exit_codes: 'tsgi replaces every worker that exits unasked',
  disable_source_map_support: 'Node has source maps off unless --enable-source-maps',
  cron: "PM2's alias of cron_restart (a scheduled restart); tsgi's `cron` runs a job that exits: run `tsgictl reload APP` from a systemd timer or crontab (with autorestart: false it becomes a `cron` job)",
};

/** Options mapped below. */
const MAPPED = new Set(['name', 'script', 'cwd', 'instances', 'exec_mode', 'env', 'max_memory_restart', 'watch', 'ignore_watch', 'watch_delay',
  'out_file', 'error_file', 'log_file', 'output', 'error', 'log', 'kill_timeout', 'min_uptime', 'max_restarts', 'restart_delay', 'exp_backoff_restart_delay',
  'listen_timeout', 'node_args', 'interpreter_args', 'interpreter', 'exec_interpreter', 'user', 'uid', 'gid']);

export function mapApp(app: Pm2App, index: number, opts: MapOptions): AppMapping {
  const name = appName(app.name, index);
  const unmapped: AppMapping['unmapped'] = [];
  const env = envOf(app, opts.envName, unmapped);
  const script = typeof app.script === 'string' ? app.script : undefined;
  if (script === undefined) return { name, skipped: 'no `script`', unmapped };
  const port = env.PORT;
  const web = port !== undefined && /^\d+$/.test(port);
  const handled = new Set(MAPPED);
  const out: Mapped[] = [];
  const cwdAbs = resolve(opts.base, typeof app.cwd === 'string' ? app.cwd : '.');
  const scriptAbs = resolve(cwdAbs, script);
  const cwdRel = relative(opts.outDir, cwdAbs);
  const modulePath = relative(cwdAbs, scriptAbs);
  const moduleRef = modulePath.startsWith('..') || isAbsolute(modulePath) ? scriptAbs : `./${modulePath}`;
  let command = false;
  let job = false;
  if (web) {
    const interp = String(app.interpreter ?? app.exec_interpreter ?? 'node');
    if (!/(^|\/)node$/.test(interp) && interp !== 'none') return { name, skipped: `interpreter ${interp} with a PORT: tsgi hands connections to Node modules only (without PORT in env it would run as a background command)`, unmapped };
    if (PACKAGE_MANAGERS.has(script) || !/\.(c|m)?(j|t)sx?$|^[^.]*$/.test(script)) {
      return { name, skipped: `script ${script} with a PORT: tsgi hands connections to Node modules only, not to a command (name the Node entry the command starts as \`script\`)`, unmapped };
    }
    out.push({ key: 'app', value: moduleRef, comment: `script: ${script}. It starts its own server: tsgi serves it through its listen() (interface: auto detects it; docs/TSGI.md §3)` });
  } else {
    if (port !== undefined) unmapped.push({ option: 'env.PORT', why: `${port} is not a port number: imported as a background app, with no listen` });
    const schedule = runToCompletion(app);
    job = schedule !== undefined;
    const program = programOf(app, script, job);
    command = program.kind === 'command';
    if (program.kind === 'module') out.push({ key: 'app', value: moduleRef, comment: program.why });
    else out.push({ key: 'command', value: program.argv, comment: program.why });
    for (const k of ['args', 'interpreter', 'exec_interpreter', 'interpreter_args', 'node_args']) handled.add(k);
    if (schedule !== undefined) {
      out.push({ key: 'cron', value: schedule, comment: `${app.cron_restart !== undefined ? 'cron_restart' : 'cron'} with autorestart: false: PM2 starts it on this schedule and lets it exit, which is a tsgi scheduled job (one process per run; a failed run is recorded, never restarted; see tsgictl status)` });
      for (const k of ['cron_restart', 'cron', 'autorestart', 'instances', 'exec_mode', 'min_uptime', 'max_restarts', 'restart_delay', 'exp_backoff_restart_delay']) handled.add(k);
      if (app.instances !== undefined && Number(app.instances) !== 1) unmapped.push({ option: 'instances', why: 'a scheduled job runs one process per run and runs never overlap (workers is refused with cron)' });
    }
  }
  if (cwdRel !== '') out.push({ key: 'cwd', value: cwdRel.startsWith('..') ? cwdAbs : cwdRel, comment: 'cwd' });
  if (web) out.push({ key: 'listen', value: `:${port}`, comment: `env.PORT: the app's listen() on ${port} binds nothing; tsgi's arbiter holds :${port} for every worker` });
  if (!job) out.push(workers(app, unmapped, web));
  if (Object.keys(env).length > 0) out.push({ key: 'env', value: env, comment: opts.envName !== undefined && app[`env_${opts.envName}`] !== undefined ? `env, then env_${opts.envName} over it` : 'env' });
  // a command's node_args are in its argv
  if (!command) nodeArgs(app, out);
  if (app.max_memory_restart !== undefined) out.push({ key: 'max_memory', value: pm2Size(app.max_memory_restart), comment: `max_memory_restart: ${String(app.max_memory_restart)} (${web ? 'tsgi replaces the worker gracefully, a new one ready first' : 'tsgi replaces the process gracefully, a new one started first'})` });
  const watch = watchOf(app);
  if (watch !== undefined) out.push({ key: 'watch', value: watch, comment: 'watch / ignore_watch / watch_delay' });
  logs(app, out);
  if (app.kill_timeout !== undefined) out.push({ key: 'graceful_timeout', value: ms(app.kill_timeout), comment: `kill_timeout (PM2 default 1600ms; tsgi waits ${web ? 'for in-flight requests' : 'for the process to finish its current work'} up to this, then kills)` });
  if (app.listen_timeout !== undefined && !command) out.push({ key: 'boot_timeout', value: ms(app.listen_timeout), comment: 'listen_timeout' });
  const restart = job ? undefined : restartOf(app);
  if (restart !== undefined) out.push({ key: 'restart', value: restart, comment: 'min_uptime / max_restarts / restart_delay' });
  if (app.user !== undefined || app.uid !== undefined) out.push({ key: 'user', value: String(app.user ?? app.uid), comment: 'user / uid' });
  if (app.gid !== undefined) out.push({ key: 'group', value: String(app.gid), comment: 'gid' });

  for (const key of Object.keys(app)) {
    if (key.startsWith('env_') || handled.has(key)) continue;
    unmapped.push({ option: key, why: UNMAPPABLE[key] ?? 'not a PM2 option tsgi knows how to map' });
  }
  return { name, settings: out, unmapped };
}

function appName(raw: unknown, index: number): string {
  const cleaned = String(raw ?? `app-${index + 1}`).toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, APP_NAME.maxLength);
  return APP_NAME.pattern.test(cleaned) ? cleaned : `app-${index + 1}`;
}

function envOf(app: Pm2App, envName: string | undefined, unmapped: AppMapping['unmapped']): Record<string, string> {
  const env: Record<string, string> = {};
  const add = (v: unknown) => {
    if (typeof v !== 'object' || v === null) return;
    for (const [k, val] of Object.entries(v)) if (val !== undefined && val !== null) env[k] = typeof val === 'string' ? val : JSON.stringify(val);
  };
  add(app.env);
  if (envName !== undefined) add(app[`env_${envName}`]);
  for (const key of Object.keys(app)) {
    if (key.startsWith('env_') && key !== `env_${envName}`) unmapped.push({ option: key, why: `not applied: run tsgictl import with --env ${key.slice(4)} to merge it over env (as pm2 start --env ${key.slice(4)})` });
  }
  return env;
}

function workers(app: Pm2App, unmapped: AppMapping['unmapped'], web: boolean): Mapped {
  const mode = String(app.exec_mode ?? (app.instances !== undefined && app.instances !== 1 ? 'cluster' : 'fork'));
  const raw = app.instances ?? 1;
  const cpus = availableParallelism();
  if (web && mode.includes('fork') && Number(raw) > 1) unmapped.push({ option: 'exec_mode', why: `fork with instances ${String(raw)} would bind ${String(raw)} processes to one port; tsgi shares it, as cluster mode does` });
  if (raw === 'max' || raw === 0 || raw === '0') return { key: 'workers', value: cpus, comment: `instances: ${String(raw)} (all CPUs: ${cpus} on the machine this import ran on), exec_mode: ${mode}` };
  const n = Number(raw);
  if (Number.isInteger(n) && n < 0) return { key: 'workers', value: Math.max(1, cpus + n), comment: `instances: ${n} (CPUs ${n}, here), exec_mode: ${mode}` };
  return { key: 'workers', value: Number.isInteger(n) && n > 0 ? n : 1, comment: `instances: ${String(raw)}, exec_mode: ${mode}${web ? '' : ' (no port is shared: each instance is a process of its own)'}` };
}

function nodeArgs(app: Pm2App, out: Mapped[]): void {
  const raw = app.node_args ?? app.interpreter_args;
  if (raw === undefined) return;
  const args = Array.isArray(raw) ? raw.join(' ') : String(raw);
  const env = out.find((m) => m.key === 'env');
  const merged = { ...(env?.value as Record<string, string> | undefined), NODE_OPTIONS: args };
  const comment = `node_args: ${args} went to env.NODE_OPTIONS, which takes most V8 and Node flags`;
  if (env) Object.assign(env, { value: merged, comment: `${env.comment ?? 'env'}; ${comment}` });
  else out.push({ key: 'env', value: merged, comment });
}

function watchOf(app: Pm2App): unknown {
  if (app.watch === undefined || app.watch === false) return undefined;
  const paths = Array.isArray(app.watch) ? app.watch.map(String) : typeof app.watch === 'string' ? [app.watch] : undefined;
  const ignore = Array.isArray(app.ignore_watch) ? app.ignore_watch.map(String) : typeof app.ignore_watch === 'string' ? [app.ignore_watch] : undefined;
  if (paths === undefined && ignore === undefined && app.watch_delay === undefined) return true;
  return { ...(paths && { paths }), ...(ignore && { ignore }), ...(app.watch_delay !== undefined && { debounce: ms(app.watch_delay) }) };
}

function logs(app: Pm2App, out: Mapped[]): void {
  const outFile = app.out_file ?? app.output;
  const errFile = app.error_file ?? app.error;
  const both = app.log_file ?? app.log;
  const usable = (v: unknown) => typeof v === 'string' && v !== '/dev/null' && v !== 'NULL';
  if (usable(outFile)) out.push({ key: 'stdout_log', value: outFile, comment: 'out_file' });
  else if (usable(both)) out.push({ key: 'stdout_log', value: both, comment: 'log_file (stdout and stderr in one file)' });
  if (usable(errFile)) out.push({ key: 'stderr_log', value: errFile, comment: 'error_file' });
  else if (usable(both)) out.push({ key: 'stderr_log', value: both, comment: 'log_file (stdout and stderr in one file)' });
}

function restartOf(app: Pm2App): Record<string, unknown> | undefined {
  const r: Record<string, unknown> = {};
  if (app.min_uptime !== undefined) r.min_uptime = ms(app.min_uptime);
  if (app.max_restarts !== undefined) r.max_failures = Math.max(1, Number(app.max_restarts) || 1);
  const delay = app.restart_delay ?? app.exp_backoff_restart_delay;
  if (delay !== undefined) r.backoff_initial = ms(delay);
  return Object.keys(r).length > 0 ? r : undefined;
}

/** PM2 durations are milliseconds, or strings such as "10s". */
function ms(v: unknown): string {
  return typeof v === 'number' || /^\d+$/.test(String(v)) ? `${String(v)}ms` : String(v);
}

/** PM2's "300M", "1G", "512K" → tsgi's "300MB". */
function pm2Size(v: unknown): string | number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMG])B?$/i.exec(String(v));
  return m ? `${m[1]}${m[2]!.toUpperCase()}B` : typeof v === 'number' ? v : String(v);
}
