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

/** A scheduled job runs a program that exits: `cron` needs `command` (a Node job is `command: [node, job.js]`). */
export const cronNeedsCommand: Rule<{ cron?: string; command?: string[]; cron_timezone?: string }> = {
  description: '`cron` needs `command`: each run is one process that must exit on its own (a Node script is `command: [node, job.js]`); `cron_timezone` needs `cron`.',
  check(values) {
    if (values.cron !== undefined && values.command === undefined) throw new ValueError('expected "command" with "cron": a scheduled run is a program that exits on its own (a Node script: command: [node, job.js])', undefined, ['cron'], 'key');
    if (values.cron === undefined && values.cron_timezone !== undefined) throw new ValueError('expected "cron" with "cron_timezone": it says in which time zone the schedule is read', undefined, ['cron_timezone'], 'key');
  },
};
