/**
 * A scheduled job's settings (docs/TSGI.md §10): a cron expression and a time zone, both checked
 * when the config is loaded, so a typo is a config error naming file, line and key instead of a
 * job that silently never runs. croner parses them; the pool uses the same parse (pool/cron-job.ts).
 */
import { Cron } from 'croner';
import type { Rule } from './declare.js';
import { describe, ValueError } from './issues.js';
import type { Kind } from './kinds.js';

export const cronExpression: Kind<string> = {
  type: 'cron expression',
  format: 'Five fields (`minute hour day-of-month month day-of-week`, `*/5 * * * *`), six with seconds first (`*/10 * * * * *`), or a nickname (`@hourly`, `@daily`, `@weekly`).',
  schema: { type: 'string', minLength: 1 },
  parse(v) {
    if (typeof v !== 'string' || v.trim() === '') throw new ValueError(`expected a cron expression such as "*/5 * * * *", got ${describe(v)}`);
    try {
      new Cron(v);
    } catch (err) {
      throw new ValueError(`expected a cron expression such as "*/5 * * * *", got ${JSON.stringify(v)}: ${(err as Error).message.replace(/^CronPattern: /, '')}`);
    }
    return v;
  },
};

export const timeZone: Kind<string> = {
  type: 'time zone',
  format: 'An IANA time zone name: `UTC`, `Europe/Paris`, `America/New_York`.',
  schema: { type: 'string', minLength: 1 },
  parse(v) {
    if (typeof v === 'string' && v !== '') {
      try {
        new Intl.DateTimeFormat('en', { timeZone: v });
        return v;
      } catch {
        // falls through to the error below
      }
    }
    throw new ValueError(`expected an IANA time zone such as "UTC" or "Europe/Paris", got ${describe(v)}`);
  },
};

/**
 * A scheduled job is one process per run, taking no connections: `command` (a program that exits)
 * or `app` (a module whose function a run calls, worker/job-module.ts); no `listen`, and no
 * `workers` beyond 1, since runs never overlap (tsgictl scale is refused too: TSGI_ERR_JOB_NOT_SCALABLE).
 */
export const cronJobShape: Rule<{ cron?: string; command?: string[]; app?: string; listen: unknown[]; workers: number; cron_timezone?: string }> = {
  description: '`cron` needs `command` or `app` and takes no `listen`: each run is one process that ends on its own (a program that exits, or a module\'s exported function that returns); `workers` is 1 (runs never overlap); `cron_timezone` needs `cron`.',
  check(values) {
    if (values.cron === undefined) {
      if (values.cron_timezone !== undefined) throw new ValueError('expected "cron" with "cron_timezone": it says in which time zone the schedule is read', undefined, ['cron_timezone'], 'key');
      return;
    }
    if (values.command === undefined && values.app === undefined) throw new ValueError('expected "command" or "app" with "cron": a scheduled run is a program that exits on its own, or a module whose exported function returns', undefined, ['cron'], 'key');
    if (values.listen.length > 0) throw new ValueError('expected no "listen" with "cron": a scheduled job takes no connections (serve them from another app)', undefined, ['listen'], 'key');
    if (values.workers !== 1) throw new ValueError(`expected no "workers" with "cron" (got ${values.workers}): each run is one process and runs never overlap (overlap: skip or queue); for runs in parallel, make several apps`, undefined, ['workers'], 'key');
  },
};
