#!/usr/bin/env node
/**
 * tsgid: load the config, open every app's sockets, start the arbiter and the admin API,
 * and turn signals into queued commands.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { adminToken, startAdminApi, type AdminApi } from '../api/listen.js';
import { Arbiter } from './arbiter.js';
import { loadConfig, type Config } from './config/index.js';
import { isTsgiError } from './errors.js';
import { createLogger } from './log.js';
import { removePidfile, writePidfile } from './pidfile.js';
import { probeListen } from './sockets.js';

const USAGE = `Usage: tsgid [-c FILE] [--check]

Runs the apps named in a YAML config file, each in its own pool of worker processes.

Options:
  -c, --config FILE   the config file (default: ./tsgi.yaml)
      --check         validate the config (and that its addresses are free), then exit: 0 valid, 2 invalid
  -h, --help          show this help
  -v, --version       print the version
`;

function fail(err: unknown): never {
  if (isTsgiError(err)) {
    process.stderr.write(`tsgid: ${err.message} [${err.code}]\n`);
    process.exit(2);
  }
  process.stderr.write(`tsgid: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
}

async function check(config: Config): Promise<void> {
  for (const app of Object.values(config.apps)) {
    for (const [i, addr] of app.listen.entries()) await probeListen(addr, `apps.${app.name}.listen${app.listen.length > 1 ? `[${i}]` : ''}`);
  }
  const n = Object.keys(config.apps).length;
  process.stdout.write(`${config.file}: OK (${n} app${n === 1 ? '' : 's'})\n`);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', short: 'c', default: 'tsgi.yaml' },
        check: { type: 'boolean', default: false },
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
  if (args.version) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return void process.stdout.write(`tsgid ${pkg.version}\n`);
  }

  let config: Config;
  try {
    config = loadConfig(resolve(args.config));
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
  const log = createLogger();
  const arbiter = new Arbiter(config, log);
  let api: AdminApi | undefined;
  try {
    const token = adminToken(config, log);
    writePidfile(config.pidfile);
    await arbiter.start();
    api = await startAdminApi(arbiter, config, log, token);
  } catch (err) {
    removePidfile(config.pidfile);
    fail(err);
  }
  log.info(`tsgid ${process.pid} running ${arbiter.appNames.length} app(s) from ${config.file}; admin API on ${api.address}`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      // a second Ctrl-C: the user does not want to wait for the drain
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: graceful shutdown`);
    arbiter
      .command({ kind: 'shutdown' })
      .then(() => api?.close())
      .finally(() => {
        removePidfile(config.pidfile);
        process.exit(0);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // gunicorn's convention: SIGHUP re-reads the config; a bad file changes nothing
  process.on('SIGHUP', () => {
    log.info(`SIGHUP: re-reading ${config.file}`);
    arbiter.reloadConfig().catch((err: unknown) => {
      log.error(`config reload rejected, everything keeps running as before: ${isTsgiError(err) ? `${err.message} [${err.code}]` : String(err)}`);
    });
  });
  // a bug in the daemon must not take every app down with it
  process.on('uncaughtException', (err) => log.error(`uncaught exception (the daemon keeps running): ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => log.error(`unhandled rejection (the daemon keeps running): ${err instanceof Error ? err.stack : String(err)}`));
}

void main();
