/**
 * Inside a worker: the user's module (or modules, when mounted by prefix) turned into one
 * Node request listener, with the app's lifecycle hooks. The contract users write against
 * is docs/TSGI.md; this file follows it step by step: resolve, import, pick the export,
 * call the factory, adapt, mount.
 */
import type * as http from 'node:http';
import { TsgiError } from '../errors.js';
import type { AppInterface } from '../protocol.js';
import type { InterfaceName, Listener } from './adapters/contract.js';
import { chooseAdapter, detectInterface } from './adapters/detect.js';
import { mountListener, normalizePrefix } from './adapters/mounts.js';
import { mountedUpgrade, type UpgradeHandler } from './upgrades.js';
import { importModule } from './import-module.js';
import { interceptListen, type ListenPlan } from './intercept-listen.js';
import { listeningApp } from './adapters/listen.js';
import { type AppRef, parseAppRef, resolveModuleFile } from './resolve-module.js';
import { enableTypeScript, isTypeScriptFile } from './ts-loader.js';

/** What to load: one `module`, or `mounts` (URL prefix → module), resolved against `cwd`. */
export interface LoadSpec {
  cwd: string;
  module?: string;
  mounts?: Record<string, string>;
  interface: AppInterface;
  /** The app's addresses and `extra_listen`, for an app that calls listen() (intercept-listen.ts). */
  listen?: ListenPlan;
}

/** The loaded app, ready to be given to `http.createServer`. */
export interface HostedApp {
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  /** one entry per module: for logs, e.g. [{ prefix: '/', module: './app.ts', interface: 'fetch' }] */
  describe: Array<{ prefix: string; module: string; interface: Exclude<AppInterface, 'auto'> }>;
  /** Runs each module's `onStart({ server })`; a failure is a TSGI_ERR_APP_BOOT. */
  onStart(server: http.Server): Promise<void>;
  /** The modules' `upgrade(req, socket, head)` exports (by mount prefix), or undefined when none has one. */
  upgrade?: UpgradeHandler;
  /** Runs each module's `onDrain()` (close WebSockets with 1001); failures are logged by the caller. */
  onDrain(): Promise<void>;
  /**
   * Closes each app (Fastify's `close()`, pending fetch `waitUntil` work), then runs each
   * module's `onShutdown()`. Runs every step even when one fails, then rejects with the
   * failure (an AggregateError when several failed).
   */
  onShutdown(): Promise<void>;
}

/** The lifecycle hooks a module may export next to its app; sync or async. */
interface ModuleHooks {
  onStart?: (ctx: { server: http.Server }) => unknown;
  onShutdown?: () => unknown;
  onDrain?: () => unknown;
  upgrade?: UpgradeHandler;
}
type HookName = keyof ModuleHooks;

interface LoadedApp {
  readonly prefix: string;
  readonly ref: AppRef;
  readonly name: InterfaceName;
  readonly listener: Listener;
  readonly close?: () => Promise<void>;
  readonly hooks: ModuleHooks;
}

/**
 * Loads the app described by `spec`. Throws TsgiError: TSGI_ERR_APP_BOOT when a module is
 * missing, throws at import, or its factory, readiness or onStart fails; TSGI_ERR_APP_INTERFACE
 * when an export is missing or fits no interface; TSGI_ERR_CONFIG_INVALID for a malformed spec.
 *
 * @example
 * const hosted = await loadHostedApp({ cwd: '/srv/site', module: './app.ts', interface: 'auto' });
 * const server = http.createServer(hosted.handler);
 * await hosted.onStart(server);
 */
export async function loadHostedApp(spec: LoadSpec): Promise<HostedApp> {
  const entries = entriesOf(spec).map(([prefix, ref]) => {
    const appRef = parseAppRef(ref);
    return { prefix, ref: appRef, file: resolveModuleFile(spec.cwd, appRef) };
  });
  const tsEntry = entries.find((entry) => isTypeScriptFile(entry.file));
  if (tsEntry) {
    await enableTypeScript(spec.cwd).catch((err: unknown) => {
      throw bootError(tsEntry.ref, 'no TypeScript loader', err);
    });
  }
  const apps: LoadedApp[] = [];
  if (spec.interface === 'listen' && spec.mounts !== undefined) {
    throw new TsgiError('TSGI_ERR_CONFIG_INVALID', "interface 'listen' serves one module that starts its own server: use `app`, not `mounts`");
  }
  // an app of several mounts exports its handlers: its listen() calls stay Node's own
  const plan = spec.mounts === undefined && (spec.interface === 'auto' || spec.interface === 'listen') ? (spec.listen ?? NO_PLAN) : undefined;
  for (const entry of entries) apps.push(await loadOne(entry.prefix, entry.ref, entry.file, spec.interface, plan));

  const handler =
    spec.mounts === undefined ? apps[0]!.listener : mountListener(apps.map(({ prefix, listener }) => ({ prefix, listener })));
  return {
    handler,
    describe: apps.map((app) => ({ prefix: normalizePrefix(app.prefix) || '/', module: app.ref.ref, interface: app.name })),
    onStart: (server) => startAll(apps, server),
    upgrade: upgradeOf(spec, apps),
    onDrain: () => drainAll(apps),
    onShutdown: () => shutdownAll(apps),
  };
}

function entriesOf(spec: LoadSpec): Array<[prefix: string, ref: string]> {
  if (spec.module !== undefined && spec.mounts !== undefined) {
    throw new TsgiError('TSGI_ERR_CONFIG_INVALID', 'an app has either a module or mounts, not both');
  }
  if (spec.module !== undefined) return [['/', spec.module]];
  const mounts = Object.entries(spec.mounts ?? {});
  if (mounts.length === 0) throw new TsgiError('TSGI_ERR_CONFIG_INVALID', 'an app needs a module or at least one mount');
  return mounts;
}

/**
 * A module that exports nothing at all (a `main.ts` or `server.js` that starts its own server; for
 * CommonJS, an empty `module.exports`). One that exports something, just not an app, is a mistake
 * told at once, not after boot_timeout spent waiting for a listen() that will not come.
 */
function exportsNothing(namespace: Record<string, unknown>): boolean {
  const keys = Object.keys(namespace).filter((k) => k !== 'module.exports');
  if (keys.length === 0) return true;
  const only = namespace.default;
  return keys.length === 1 && keys[0] === 'default' && only !== null && typeof only === 'object' && Object.getPrototypeOf(only) === Object.prototype && Object.keys(only).length === 0;
}

const NO_PLAN: ListenPlan = { addresses: [], extra: 'refuse', bootTimeout: 30_000 };

async function loadOne(prefix: string, ref: AppRef, file: string, forced: AppInterface, plan?: ListenPlan): Promise<LoadedApp> {
  const interception = plan === undefined ? undefined : interceptListen(plan, ref.ref);
  let namespace: Record<string, unknown>;
  try {
    namespace = await importModule(file);
  } catch (err) {
    throw bootError(ref, 'failed to import', err);
  }
  if (interception !== undefined) {
    const exported = Object.hasOwn(namespace, ref.exportName) ? namespace[ref.exportName] : undefined;
    const app = await listeningApp(interception, exported, ref.factory, forced, plan!, ref.ref, exportsNothing(namespace));
    if (app !== undefined) {
      const hooks = hooksOf(namespace, ref);
      return { prefix, ref, name: 'listen', listener: app.listener, close: app.close, hooks: { ...hooks, upgrade: hooks.upgrade ?? app.upgrade } };
    }
  }
  let value = pickExport(namespace, ref);
  try {
    if (ref.factory) value = callFactory(value, ref);
    // An async factory, or `export default buildApp()` with an async buildApp: the promise is
    // the app-to-be. A Fastify instance is thenable too, but is the app itself.
    if (isThenable(value) && detectInterface(value) === undefined) value = await value;
  } catch (err) {
    if (err instanceof TsgiError) throw err;
    throw bootError(ref, ref.factory ? `factory ${ref.exportName}() failed` : 'the exported promise rejected', err);
  }
  const adapter = chooseAdapter(value, forced, ref.ref);
  const adapted = await adapter.adapt(value).catch((err: unknown) => {
    throw bootError(ref, `the ${adapter.name} app failed to get ready`, err);
  });
  return { prefix, ref, name: adapter.name, listener: adapted.listener, close: adapted.close, hooks: hooksOf(namespace, ref) };
}

/**
 * The named export. No fallback: when `default` is missing we do not guess which other
 * export was meant, even if only one would fit, and list what there is instead.
 */
function pickExport(namespace: Record<string, unknown>, ref: AppRef): unknown {
  if (Object.hasOwn(namespace, ref.exportName) && namespace[ref.exportName] !== undefined) return namespace[ref.exportName];
  const found = Object.keys(namespace);
  const modulePath = ref.modulePath;
  throw new TsgiError(
    'TSGI_ERR_APP_BOOT',
    `${ref.ref}: the module has no export '${ref.exportName}'; ` +
      (found.length ? `it exports: ${found.join(', ')} (name one as ${modulePath}:<export>)` : 'it exports nothing'),
  );
}

function callFactory(value: unknown, ref: AppRef): unknown {
  if (typeof value !== 'function') {
    throw new TsgiError('TSGI_ERR_APP_INTERFACE', `${ref.ref}: '${ref.exportName}' is ${typeof value}, not a factory function`);
  }
  return (value as () => unknown)();
}

function hooksOf(namespace: Record<string, unknown>, ref: AppRef): ModuleHooks {
  const hooks: ModuleHooks = {};
  for (const name of ['onStart', 'onShutdown', 'onDrain', 'upgrade'] as const) {
    const hook = namespace[name];
    if (hook === undefined) continue;
    if (typeof hook !== 'function') {
      throw new TsgiError('TSGI_ERR_APP_INTERFACE', `${ref.ref}: export '${name}' is ${typeof hook}, not a function`);
    }
    hooks[name] = hook as never;
  }
  return hooks;
}

/** Modules mounted twice share one namespace, so each distinct hook runs once. */
function distinctHooks<K extends HookName>(apps: readonly LoadedApp[], name: K): Array<{ ref: AppRef; hook: NonNullable<ModuleHooks[K]> }> {
  const out: Array<{ ref: AppRef; hook: NonNullable<ModuleHooks[K]> }> = [];
  for (const app of apps) {
    const hook = app.hooks[name];
    if (hook !== undefined && !out.some((seen) => seen.hook === hook)) out.push({ ref: app.ref, hook });
  }
  return out;
}

async function startAll(apps: readonly LoadedApp[], server: http.Server): Promise<void> {
  for (const { ref, hook } of distinctHooks(apps, 'onStart')) {
    try {
      await hook({ server });
    } catch (err) {
      throw bootError(ref, 'onStart failed', err);
    }
  }
}

function upgradeOf(spec: LoadSpec, apps: readonly LoadedApp[]): UpgradeHandler | undefined {
  if (!apps.some((app) => app.hooks.upgrade !== undefined)) return undefined;
  if (spec.mounts === undefined) return apps[0]!.hooks.upgrade;
  return mountedUpgrade(apps.map((app) => ({ prefix: normalizePrefix(app.prefix), upgrade: app.hooks.upgrade })));
}

async function drainAll(apps: readonly LoadedApp[]): Promise<void> {
  const errors: unknown[] = [];
  for (const { hook } of distinctHooks(apps, 'onDrain')) {
    try {
      await hook();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'several onDrain hooks failed');
}

async function shutdownAll(apps: readonly LoadedApp[]): Promise<void> {
  const errors: unknown[] = [];
  // Reverse order of start, like a stack of resources; the apps first, as their in-flight work may need what the hooks release.
  for (const app of [...apps].reverse()) await app.close?.().catch((err: unknown) => void errors.push(err));
  for (const { hook } of distinctHooks(apps, 'onShutdown').reverse()) {
    try {
      await hook();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'several apps failed to shut down');
}

function bootError(ref: AppRef, what: string, cause: unknown): TsgiError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new TsgiError('TSGI_ERR_APP_BOOT', `${ref.ref}: ${what}: ${reason}`, { cause });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
