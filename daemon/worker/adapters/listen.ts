/**
 * The `listen` interface: an app that starts its own server (`app.listen(process.env.PORT)`,
 * NestJS's `await app.listen(3000)`) and exports nothing servable. Its listen() bound nothing
 * (intercept-listen.ts); the worker's own server parses the connections the arbiter hands over,
 * with tsgi's limits, and gives each request to the app's server as its 'request' event, and each
 * `Upgrade:` request as its 'upgrade' event. What the app set on its own server (timeouts,
 * maxHeadersCount, 'connection' listeners) does not apply: docs/TSGI.md §3.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { TsgiError } from '../../errors.js';
import type { AppInterface } from '../../protocol.js';
import type { Interception, ListenPlan } from '../intercept-listen.js';
import type { UpgradeHandler } from '../upgrades.js';
import type { AdaptedApp } from './contract.js';
import { detectInterface } from './detect.js';
import { failRequest } from './fail-request.js';
import { refuseSocket } from '../refuse.js';

export interface ListeningApp extends AdaptedApp {
  upgrade: UpgradeHandler;
  close(): Promise<void>;
}

/**
 * Decides, after the import, whether the module is served through its listen(): forced, or
 * (`auto`) when its export is missing or fits no interface. Then waits for that listen() (NestJS
 * calls it after an async bootstrap) up to the boot timeout. Undefined: serve the export instead.
 */
export async function listeningApp(
  interception: Interception,
  exported: unknown,
  factory: boolean,
  forced: AppInterface,
  plan: ListenPlan,
  ref: string,
  exportsNothing: boolean,
): Promise<ListeningApp | undefined> {
  // auto: an app that listened while it was imported, or a module that exports nothing (it may
  // listen later, after an async bootstrap); one exporting something else is told so at once
  if (forced !== 'listen' && (factory || servable(exported) || (!interception.taken && !exportsNothing))) {
    interception.release();
    return undefined;
  }
  interception.adopt();
  if (forced !== 'listen' && !interception.taken) {
    process.stderr.write(`tsgi: ${ref} exports nothing servable: waiting for it to call listen() (interface: listen)\n`);
  }
  const server = await withTimeout(interception.server, plan.bootTimeout, ref, forced);
  // a second listen() right after the first (an admin port opened at import) fails the boot too
  await new Promise(setImmediate);
  if (interception.refusal !== undefined) throw interception.refusal;
  interception.booted();
  return adaptServer(server);
}

function servable(value: unknown): boolean {
  return value !== undefined && (detectInterface(value) !== undefined || typeof (value as { then?: unknown } | null)?.then === 'function');
}

async function withTimeout(server: Promise<http.Server>, ms: number, ref: string, forced: AppInterface): Promise<http.Server> {
  // a little before the arbiter's own boot_timeout (counted from the spawn, about when this
  // process's clock started), so that this message, not a kill, reports it
  const wait = Math.max(100, ms - performance.now() - Math.min(2000, ms / 4));
  let timer: NodeJS.Timeout | undefined;
  let crashed: ((err: unknown) => void) | undefined;
  const late = new Promise<never>((_, reject) => {
    // an async bootstrap that rejects (NestJS's `bootstrap()` without a catch) is the app's boot error, not a crash
    crashed = (err) => reject(new TsgiError('TSGI_ERR_APP_BOOT', `${ref}: the app failed before it called listen(): ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
    process.on('unhandledRejection', crashed);
    process.on('uncaughtException', crashed);
    timer = setTimeout(() => {
      const why = forced === 'listen' ? "interface 'listen' is configured" : 'the module exports nothing servable';
      reject(new TsgiError('TSGI_ERR_APP_INTERFACE', `${ref}: ${why}, and no server called listen() within boot_timeout (${ms}ms): export the app, or start its server`));
    }, wait);
  });
  try {
    return await Promise.race([server, late]);
  } finally {
    clearTimeout(timer);
    process.off('unhandledRejection', crashed!);
    process.off('uncaughtException', crashed!);
  }
}

function adaptServer(server: http.Server): ListeningApp {
  return {
    listener(req, res) {
      try {
        server.emit('request', req, res);
      } catch (err) {
        failRequest(res, "the app's request listener threw", err);
      }
    },
    upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer) {
      if (server.listenerCount('upgrade') === 0) refuseSocket(socket, 501);
      else server.emit('upgrade', req, socket, head);
    },
    // the app's 'close' listeners (and the callback of its own close()) run once in-flight requests are done
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
