/**
 * A background app's module in a worker (an app without `listen`, docs/TSGI.md §10): imported, its
 * `onStart()` awaited, then it runs on its own (a queue consumer, a poller) with no server. Its
 * stop is the module's to make graceful: `onDrain()` (stop taking new jobs) then `onShutdown()`
 * (finish the current one, close connections) are awaited in turn, and the worker exits when they
 * are done or `graceful_timeout` has passed, whichever comes first. A module with neither exits
 * at once when told to stop.
 */
import { TsgiError } from '../errors.js';
import type { HostedApp } from './load-app.js';
import { bootError, importRef } from './import-ref.js';

const HOOKS = ['onStart', 'onDrain', 'onShutdown'] as const;
type Hook = () => unknown;

export async function loadBackground(cwd: string, module: string): Promise<HostedApp> {
  const { ref, namespace } = await importRef(cwd, module);
  const hooks: Partial<Record<(typeof HOOKS)[number], Hook>> = {};
  for (const name of HOOKS) {
    const hook = namespace[name];
    if (hook === undefined) continue;
    if (typeof hook !== 'function') throw new TsgiError('TSGI_ERR_APP_INTERFACE', `${ref.ref}: export '${name}' is ${typeof hook}, not a function`);
    hooks[name] = hook as Hook;
  }
  return {
    handler: (_req, res) => res.destroy(),
    describe: [{ prefix: '/', module: ref.ref, interface: 'listen' }],
    async onStart() {
      try {
        await hooks.onStart?.();
      } catch (err) {
        throw bootError(ref, 'onStart failed', err);
      }
    },
    // both run in order in onShutdown: the worker awaits only that one before it exits
    onDrain: async () => {},
    async onShutdown() {
      await hooks.onDrain?.();
      await hooks.onShutdown?.();
    },
  };
}
