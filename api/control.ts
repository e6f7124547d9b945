/**
 * What the admin API needs of the daemon: the arbiter's reads, its command queue and its config
 * reload. Routes use nothing else, so tests drive them with a real Arbiter through supertest.
 */
import type { Arbiter } from '../daemon/arbiter/arbiter.js';

export type Control = Pick<Arbiter, 'status' | 'appStatus' | 'appConfig' | 'appNames' | 'command' | 'runJob' | 'reloadConfig' | 'planConfigReload' | 'readiness' | 'events' | 'logs' | 'metrics' | 'history'>;
