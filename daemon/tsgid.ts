/**
 * tsgid: load the config, open every app's sockets, start the arbiter and the admin API,
 * and turn signals into queued commands. Loaded by main.ts once V8's flags are set.
 */
import { startedUp } from './start-tiering.js';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { adminToken, adminTokens, startAdminApi, type AdminApi } from '../api/listen.js';
import { packageJson } from '../api/version.js';
import { Arbiter } from './arbiter/arbiter.js';
import { currentRunner, listenWhere, loadConfig, whereInConfig, type Config } from './config/index.js';
import { isTsgiError, TsgiError } from './errors.js';
import { takePassedFds } from './os/listen-fds.js';
import { createLogger } from './log.js';
import { queueLimit } from './logs/drops.js';
import { checkNodeVersion } from './node-version.js';
import { onTerminal, watchLauncher } from './os/foreground.js';
import { removePidfile, writePidfile } from './os/pidfile.js';
import { checkTypeScript } from './config/ts-check.js';
import { realOps } from './os/process-ops.js';
import { monotonicUsec, sdNotifier } from './os/sd-notify.js';
import { probeListen } from './os/sockets.js';
import { envFileExposure } from './config/env-file.js';
import { envWarnings } from './pool/worker-env.js';
import { Upgrader } from './upgrade/upgrade.js';
import type { Handover } from './upgrade/upgrade-messages.js';
import { noteUpgradeFailure, receiveHandover, Successor } from './upgrade/upgrade-successor.js';
import { fromFdStore, storeFds } from './os/fd-store.js';

const USAGE = `Usage: tsgid [-c FILE] [--check [--diff]]

Runs the apps named in a YAML config file, each in its own pool of worker processes.

Options:
  -c, --config FILE   the config file (default: ./tsgi.yaml)
      --check         validate the config (and that its addresses are free), then exit: 0 valid, 2 invalid
      --diff          with --check: validate the file, then ask the tsgid running it (found by the
                      file's admin.listen) what a config reload would change; its addresses are not
                      probed, as that daemon holds them
  -h, --help          show this help
  -v, --version       print the version

Signals:
  SIGTERM, SIGINT     graceful shutdown (again: skip shutdown_delay; once more: exit now)
  SIGHUP              on a terminal (a controlling terminal, and stdin, stdout or stderr one):
                      stop, as the terminal closed; otherwise (systemd, Kubernetes, nohup):
                      re-read the config file (or: tsgictl config reload)
  SIGUSR1             reopen the log files
  SIGUSR2             upgrade: start the tsgid installed now on the same sockets (or: tsgictl upgrade)
Started by npx (npm exec), tsgid stops when npm exits or is killed.
The pidfile, admin socket and token file default to .tsgi/NAME.pid|sock|token for a config
NAME.yaml (.tsgi/tsgid.pid, admin.sock, admin.token for tsgi.yaml).
`;

function fail(err: unknown): never {
  noteUpgradeFailure(isTsgiError(err) ? `${err.message} [${err.code}]` : String(err));
  if (isTsgiError(err)) {
    // a config with several problems: one line each
    process.stderr.write(`${err.message.split('\n').map((line) => `tsgid: ${line}`).join('\n')} [${err.code}]\n`);
    process.exit(2);
  }
  process.stderr.write(`tsgid: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
}

/** What a start would refuse, all of it: the config was loaded (and validated) already; its addresses are probed. */
async function check(config: Config): Promise<void> {
  checkTypeScript(config);
  const problems: TsgiError[] = [];
  for (const app of Object.values(config.apps)) {
    for (const [i, addr] of app.listen.entries()) {
      await probeListen(addr, listenWhere(config, app, i)).catch((err: unknown) => {
        if (!isTsgiError(err)) throw err;
        problems.push(err);
      });
    }
  }
  if (problems.length > 0) throw new TsgiError(problems[0]!.code, problems.map((p) => p.message).join('\n'));
  for (const w of [...envWarnings(config, envFileExposure), ...configWarnings(config)]) process.stderr.write(`tsgid: warning: ${w}\n`);
  const n = Object.keys(config.apps).length;
  process.stdout.write(`${config.file}: OK (${n} app${n === 1 ? '' : 's'})\n`);
}

/** Valid, but probably not what was meant; told by `--check` and at start. */
function configWarnings(config: Config): string[] {
  if (Object.keys(config.apps).length > 0) return [];
  return [`${whereInConfig(config, ['apps'])}: no apps; tsgid would serve only its admin API (add apps here, or with tsgictl add)`];
}

/** `tsgid --check --diff`: the file is valid; now, what would the daemon running it do on a reload? */
async function checkAgainstRunning(config: Config): Promise<void> {
  for (const w of envWarnings(config, envFileExposure)) process.stderr.write(`tsgid: warning: ${w}\n`);
  const { findDaemon } = await import('../cli/find-daemon.js');
  const { createClient } = await import('../cli/client.js');
  const { formatPlan } = await import('./config/diff.js');
  const client = createClient(() => findDaemon({ config: config.file }));
  const plan = await client.get<import('./config/diff.js').ReloadPlan>('/v1/config/diff');
  process.stdout.write(`${config.file}: OK; a config reload of the running tsgid would do:\n${formatPlan(plan)}`);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', short: 'c', default: 'tsgi.yaml' },
        check: { type: 'boolean', default: false },
        diff: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`tsgid: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) return void process.stdout.write(USAGE);
  if (args.version) return void process.stdout.write(`tsgid ${packageJson().version}\n`);

  let config: Config;
  let handover: Handover | undefined;
  try {
    // started by `tsgictl upgrade`: the old tsgid's sockets and app set come first
    handover = await receiveHandover();
    checkNodeVersion(process.version, packageJson().engines.node);
    config = loadConfig(resolve(args.config), process.env, currentRunner());
    if (args.diff && !args.check) throw new TsgiError('TSGI_ERR_CLI_USAGE', '--diff goes with --check');
    if (args.check && args.diff) {
      await checkAgainstRunning(config);
      process.exit(0);
    }
    if (args.check) {
      await check(config);
      process.exit(0);
    }
  } catch (err) {
    fail(err);
  }

  // A closed terminal or a dead log pipe (EPIPE) must not become an uncaught exception that the
  // handler below would log to the same dead pipe, again and again: stop writing, keep serving.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  const log = createLogger({ maxQueued: queueLimit(config.logs.max_size) });
  // systemd's variables are read, then removed before any worker inherits the environment
  const systemd = sdNotifier(log);
  for (const w of envWarnings(config, envFileExposure)) log.warn(w);
  const successor = handover === undefined ? undefined : new Successor(handover, log);
  const passed = takePassedFds();
  const arbiter = new Arbiter(config, log, realOps, successor?.passedFds(passed) ?? fromFdStore(passed), true);
  const upgrader = new Upgrader({ arbiter, config, log, systemd });
  let api: AdminApi | undefined;
  try {
    const token = adminToken(config, log);
    const tokens = adminTokens(config, log);
    // a successor writes it once it takes over: until then the old tsgid is the one running
    if (successor === undefined) writePidfile(config.pidfile);
    await arbiter.start();
    const watchdogMs = systemd.watchdogMs;
    if (watchdogMs !== undefined) arbiter.setWatchdog(watchdogMs / 2, () => void systemd.notify('WATCHDOG=1'));
    api = await startAdminApi(arbiter, config, log, token, tokens, { adoptFd: successor?.adminFd, upgrade: () => upgrader.upgrade() });
    successor?.gateAdmin(api.server);
    upgrader.admin = api.server;
  } catch (err) {
    removePidfile(config.pidfile);
    fail(err);
  }
  for (const w of configWarnings(config)) log.warn(w);
  log.info(`tsgid ${process.pid} running ${arbiter.appNames.length} app(s) from ${config.file}; admin API on ${api.address}`);
  const adminServer = api.server;
  void settled(arbiter).then(startedUp);
  if (successor === undefined) {
    void settled(arbiter).then(() => {
      if (!arbiter.stopping) void systemd.notify('READY=1', `STATUS=${statusLine(arbiter)}`);
    });
  } else {
    successor.takeOver(arbiter, config, systemd).catch((err: unknown) => {
      const text = isTsgiError(err) ? `${err.message} [${err.code}]` : String(err);
      noteUpgradeFailure(text);
      log.error(`upgrade: not taking over: ${text}`);
      void arbiter.command({ kind: 'shutdown', now: true }).finally(() => process.exit(1));
    });
  }
  // with FileDescriptorStoreMax=, systemd keeps the sockets while tsgid restarts or after it crashes
  void settled(arbiter).then(() => storeFds(systemd, arbiter, adminServer, log));

  const shutdown = (signal: string): void => {
    const phase = arbiter.shutdownPhase;
    if (phase === 'delay') {
      // a second signal during shutdown_delay: stop waiting for the load balancer, drain now
      log.warn(`${signal} again: skipping the rest of shutdown_delay, draining now`);
      void arbiter.command({ kind: 'shutdown', now: true });
      return;
    }
    if (phase === 'draining') {
      // once more: the user does not want to wait for the drain
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    log.info(`${signal}: graceful shutdown`);
    const told = systemd.notify('STOPPING=1');
    arbiter
      .command({ kind: 'shutdown' })
      .then(() => api?.close())
      // systemd-notify must have been run before we go, or STOPPING=1 may never be sent
      .finally(() => told)
      .finally(() => {
        removePidfile(config.pidfile);
        process.exit(0);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // a closed terminal stops a tsgid started on it; npm exec does not pass its signals on
  const foreground = onTerminal();
  // (Ctrl-C reaches npm and tsgid both: npm going then must not cut short the drain under way)
  // a tsgid an upgrade started watches the npm its predecessor did, not its parent (that predecessor)
  upgrader.launcher = watchLauncher(
    (pid) => {
      if (!arbiter.stopping) shutdown(`npm (pid ${pid}) exited`);
    },
    process.env,
    successor?.handover.launcher,
  );
  // gunicorn's convention, for a daemon: SIGHUP re-reads the config; a bad file changes nothing
  process.on('SIGHUP', () => {
    if (foreground) return shutdown('SIGHUP (terminal closed)');
    if (arbiter.stopping) return void log.warn('SIGHUP ignored: tsgid is shutting down');
    log.info(`SIGHUP: re-reading ${config.file}`);
    void systemd.notify('RELOADING=1', `MONOTONIC_USEC=${monotonicUsec()}`);
    arbiter
      .reloadConfig()
      .catch((err: unknown) => {
        log.error(`config reload rejected, everything keeps running as before: ${isTsgiError(err) ? `${err.message} [${err.code}]` : String(err)}`);
      })
      .finally(() => {
        if (!arbiter.stopping) void systemd.notify('READY=1', `STATUS=${statusLine(arbiter)}`);
      });
  });
  // gunicorn's convention: SIGUSR2 starts the tsgid installed now on the same sockets (tsgictl upgrade)
  process.on('SIGUSR2', () => void upgrader.upgrade().catch(() => {}));
  // gunicorn's convention: SIGUSR1 reopens the log files, after an external logrotate moved them
  process.on('SIGUSR1', () => void arbiter.command({ kind: 'reopen-logs' }).catch(() => {}));
  // a bug in the daemon must not take every app down with it
  process.on('uncaughtException', (err) => log.error(`uncaught exception (the daemon keeps running): ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => log.error(`unhandled rejection (the daemon keeps running): ${err instanceof Error ? err.stack : String(err)}`));
}

/** Resolves once every app is running, failed or stopped: when systemd is told READY=1. */
function settled(arbiter: Arbiter): Promise<void> {
  const done = (): boolean => arbiter.status().apps.every((a) => a.state === 'running' || a.state === 'failed' || a.state === 'stopped');
  return new Promise((resolve) => {
    // after the event's own tick, once the pool has acted on it
    const check = (): void =>
      void setImmediate(() => {
        if (!done()) return;
        arbiter.events.off('worker', check);
        resolve();
      });
    arbiter.events.on('worker', check);
    check();
  });
}

function statusLine(arbiter: Arbiter): string {
  const r = arbiter.readiness();
  return r.ready ? `${arbiter.appNames.length} app(s) ready` : `not ready: ${r.reasons.join('; ')}`;
}

void main();
