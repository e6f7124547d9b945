/** What the admin API needs of the daemon: the arbiter's reads and its command queue. */
import type { Arbiter } from '../daemon/arbiter.js';

export type Control = Pick<Arbiter, 'status' | 'appStatus' | 'command'>;
