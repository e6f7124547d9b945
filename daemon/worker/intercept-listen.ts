/**
 * The `listen` interface's hook into Node: `net.Server.prototype.listen`, patched before the app's
 * module is imported, as node:cluster patches it in its workers. The app's first listen() binds
 * nothing: its server is taken as the target of the requests the worker's own server parses from
 * the connections the arbiter hands over (adapters/listen.ts), and it emits 'listening' with the
 * app's configured address. A second listen() is refused, or binds for real when `extra_listen: bind`.
 *
 * Until load-app.ts knows whether the module exports a servable app (`interface: auto`), calls
 * are held, not answered: an app that exports its handler gets its listen() calls replayed
 * unpatched, as before this file existed.
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { TsgiError } from '../errors.js';

/** The app's listen addresses as the worker needs them, passed by tsgid in TSGI_LISTEN (worker-env.ts). */
export interface ListenPlan {
  addresses: Array<{ kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string }>;
  extra: 'refuse' | 'bind';
  /** ms: how long `auto` waits for a listen() when the module exports nothing servable */
  bootTimeout: number;
}

type Target = ListenPlan['addresses'][number];
type ListenArgs = unknown[];
type Listen = (this: net.Server, ...args: ListenArgs) => net.Server;

export interface Interception {
  /** Settles with the app's server at its accepted listen(), or rejects at a refused one during boot. */
  readonly server: Promise<http.Server>;
  /** True once a listen() was accepted. */
  readonly taken: boolean;
  /** The first listen() refused during boot, even one after the accepted one. */
  readonly refusal: TsgiError | undefined;
  /** `auto` with a servable export: listen() is Node's own again, and held calls are replayed through it. */
  release(): void;
  /** The app is served through its listen(): held calls are answered now, later ones as they come. */
  adopt(): void;
  /** Boot is over: a refusal from now on is logged and emitted as the server's 'error' instead of failing the boot. */
  booted(): void;
}

/** Reads and removes TSGI_LISTEN, so the app does not see it; absent (a test's worker): one address, refuse. */
export function listenPlanFromEnv(): ListenPlan {
  const raw = process.env.TSGI_LISTEN;
  delete process.env.TSGI_LISTEN;
  return raw === undefined ? { addresses: [], extra: 'refuse', bootTimeout: 30_000 } : (JSON.parse(raw) as ListenPlan);
}

export function interceptListen(plan: ListenPlan, ref: string): Interception {
  const original = net.Server.prototype.listen as Listen;
  let mode: 'hold' | 'adopt' | 'released' = 'hold';
  let booting = true;
  let appServer: http.Server | undefined;
  let refusal: TsgiError | undefined;
  const held: Array<{ server: net.Server; args: ListenArgs; site: string }> = [];
  let settle!: { resolve(s: http.Server): void; reject(e: Error): void };
  const server = new Promise<http.Server>((resolve, reject) => (settle = { resolve, reject }));
  // nobody may be waiting yet (auto mode before the import returned)
  server.catch(() => {});

  const answer = (s: net.Server, args: ListenArgs, site: string): net.Server => {
    if (appServer === undefined) {
      const refusal = unfit(s, args, plan, ref, site);
      if (refusal === undefined) {
        appServer = s as http.Server;
        pretendListening(appServer, args, plan);
        settle.resolve(appServer);
        return s;
      }
      return refuse(s, refusal);
    }
    if (plan.extra === 'bind') return original.apply(s, args);
    return refuse(
      s,
      `${ref}: a second listen(${describeArgs(args)}) at ${site}: the app's server already takes this app's connections; ` +
        'tsgi hands them to one server. Set `extra_listen: bind` to let further servers bind their own address',
    );
  };

  const refuse = (s: net.Server, message: string): net.Server => {
    const err = new TsgiError('TSGI_ERR_APP_LISTEN', message);
    if (booting) {
      refusal ??= err;
      settle.reject(err);
    }
    else {
      process.stderr.write(`tsgi: ${err.code}: ${message}\n`);
      if (s.listenerCount('error') > 0) process.nextTick(() => s.emit('error', err));
    }
    return s;
  };

  net.Server.prototype.listen = function tsgiListen(this: net.Server, ...args: ListenArgs): net.Server {
    const site = callSite();
    if (mode === 'released') return original.apply(this, args);
    if (mode === 'hold') {
      held.push({ server: this, args, site });
      return this;
    }
    return answer(this, args, site);
  } as never;

  return {
    server,
    get taken() {
      return appServer !== undefined;
    },
    get refusal() {
      return refusal;
    },
    release() {
      mode = 'released';
      net.Server.prototype.listen = original as never;
      for (const h of held.splice(0)) original.apply(h.server, h.args);
    },
    adopt() {
      mode = 'adopt';
      for (const h of held.splice(0)) answer(h.server, h.args, h.site);
    },
    booted() {
      booting = false;
    },
  };
}

/** Why this listen() cannot be the app's one, or undefined when it can. */
function unfit(s: net.Server, args: ListenArgs, plan: ListenPlan, ref: string, site: string): string | undefined {
  if (!(s instanceof http.Server) || s instanceof tls.Server) {
    const what = s instanceof tls.Server ? 'a TLS (https) server' : 'a plain net.Server';
    return `${ref}: listen() at ${site} is on ${what}; the listen interface serves a node:http server (tsgi terminates TLS: set certfile/keyfile)`;
  }
  if (matchTarget(args, plan) !== undefined || plan.addresses.length <= 1) return undefined;
  const own = plan.addresses.map(formatTarget).join(', ');
  return `${ref}: listen(${describeArgs(args)}) at ${site} is not one of this app's addresses (${own}); with several, the app must listen on one of their ports`;
}

/** The configured address a listen() names: its port (or socket path) among the app's. */
function matchTarget(args: ListenArgs, plan: ListenPlan): Target | undefined {
  const { port, path } = requested(args);
  return plan.addresses.find((t) => (t.kind === 'tcp' ? port !== undefined && t.port === port : path !== undefined && t.path === path));
}

function requested(args: ListenArgs): { port?: number; path?: string } {
  const first = args[0];
  if (typeof first === 'number') return { port: first };
  if (typeof first === 'string') return /^\d+$/.test(first) ? { port: Number(first) } : { path: first };
  if (typeof first === 'object' && first !== null) {
    const o = first as { port?: unknown; path?: unknown };
    if (typeof o.path === 'string') return { path: o.path };
    if (o.port !== undefined) return { port: Number(o.port) };
  }
  return {};
}

/**
 * Makes `s` look bound: 'listening' on the next tick (the callback with it), `listening` true and
 * `address()` the configured address (a configured port 0, chosen by the arbiter, shows as the
 * port the app asked for), until the app closes it.
 */
function pretendListening(s: http.Server, args: ListenArgs, plan: ListenPlan): void {
  const target = matchTarget(args, plan) ?? plan.addresses[0];
  const asked = requested(args);
  let open = true;
  const address =
    target?.kind === 'unix'
      ? target.path
      : { address: target?.host ?? '::', family: net.isIPv6(target?.host ?? '::') ? 'IPv6' : 'IPv4', port: target?.port || asked.port || 0 };
  Object.defineProperty(s, 'listening', { configurable: true, get: () => open });
  Object.defineProperty(s, 'address', { configurable: true, value: () => (open ? address : null) });
  Object.defineProperty(s, 'close', {
    configurable: true,
    // the worker's server owns the connections: closing the app's only ends its 'listening' life
    value(cb?: (err?: Error) => void) {
      if (typeof cb === 'function') s.once('close', () => cb());
      if (open) {
        open = false;
        process.nextTick(() => s.emit('close'));
      }
      return s;
    },
  });
  const cb = args[args.length - 1];
  if (typeof cb === 'function') s.once('listening', cb as () => void);
  process.nextTick(() => s.emit('listening'));
}

/** The app's line that called listen(): the first frame outside Node and node_modules (Express's app.listen). */
function callSite(): string {
  const frames = (new Error().stack ?? '').split('\n').slice(2);
  const line = frames.find((f) => !/\(node:|at node:|node_modules|intercept-listen|worker\/bundle\.js/.test(f)) ?? frames[0] ?? '';
  return line.trim().replace(/^at (?:.*? \()?(.*?)\)?$/, '$1') || 'an unknown place';
}

function describeArgs(args: ListenArgs): string {
  const { port, path } = requested(args);
  return port !== undefined ? String(port) : path !== undefined ? JSON.stringify(path) : '';
}

function formatTarget(t: Target): string {
  return t.kind === 'unix' ? `unix:${t.path}` : `${t.host}:${t.port}`;
}
