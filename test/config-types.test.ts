// The Config / AppConfig types are inferred from settings.ts; this pins the properties the rest
// of tsgi was written against (settings added later come on top). The checks are at compile
// time: if this file builds, they pass.
import { test } from 'node:test';
import type { AppInterface } from '../daemon/protocol.js';
import type { AppConfig, Config, ListenAddress } from '../daemon/config/index.js';

interface ExpectedApp {
  name: string;
  app?: string;
  mounts?: Record<string, string>;
  interface: AppInterface;
  listen: ListenAddress[];
  workers: number;
  cwd: string;
  env: Record<string, string>;
  graceful_timeout: number;
  boot_timeout: number;
  timeout: number;
  restart: { backoff_initial: number; backoff_max: number; max_failures: number; window: number };
}

interface ExpectedConfig {
  file: string;
  dir: string;
  admin: { listen: ListenAddress; token?: string; token_file: string };
  pidfile: string;
  max_workers: number;
  apps: Record<string, AppConfig>;
}

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** B's properties are in A with exactly B's types (nested objects may have more properties). */
type Has<A, B> = [A] extends [B] ? Same<{ [K in keyof B]: K extends keyof A ? (A[K] extends object ? B[K] : A[K]) : never }, B> : false;
const appShape: Has<AppConfig, ExpectedApp> = true;
const configShape: Has<Config, ExpectedConfig> = true;
const optional: Same<Pick<AppConfig, 'app' | 'mounts'>, Pick<ExpectedApp, 'app' | 'mounts'>> & Same<Pick<Config['admin'], 'token'>, { token?: string }> = true;

test('Config and AppConfig have the agreed shapes', () => {
  // The assertions above are compile-time; this only makes them show up in the test run.
  void [appShape, configShape, optional];
});
