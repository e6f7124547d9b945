/**
 * The kinds the log settings use: a log destination (a file, or `-` for tsgid's stdout) and the
 * list of proxies whose X-Forwarded-For is believed.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { Rule } from './declare.js';
import { describe, rethrowUnder, ValueError } from './issues.js';
import { nonEmptyString, type Kind } from './kinds.js';

/** Where an app's lines go: a file, or tsgid's own stdout (as JSON lines, with the daemon's log). */
export const STDOUT = '-';

export const logFile: Kind<string> = {
  type: 'path or -',
  format: "A log file path, relative to the config file's directory (its directory is created if missing), or `-` for tsgid's stdout, as JSON lines.",
  schema: { type: 'string', minLength: 1 },
  parse(v, ctx) {
    const s = nonEmptyString(v, 'a file path or "-"');
    return s === STDOUT ? STDOUT : resolve(ctx.dir, s);
  },
};

/** gunicorn's forwarded_allow_ips: addresses, `*` for any; a string is read as a comma-separated list. */
export const ipList: Kind<string[]> = {
  type: 'IP list',
  format: '`["127.0.0.1", "::1"]`, a comma-separated string of addresses, or `"*"` for any peer.',
  schema: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 } }] },
  parse(v) {
    const items = typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v;
    if (!Array.isArray(items)) throw new ValueError(`expected a list of IP addresses or "*", got ${describe(v)}`);
    return items.map((item, i) => {
      try {
        if (item === '*' || (typeof item === 'string' && isIP(item) !== 0)) return item as string;
        throw new ValueError(`expected an IP address or "*", got ${describe(item)}`);
      } catch (err) {
        return typeof v === 'string' ? rethrowUnder(err) : rethrowUnder(err, i);
      }
    });
  },
};

/** A rotation size under one line's worth would rotate on every line. */
export const rotationSize: Rule<{ max_size: number }> = {
  description: '`logs.max_size` is 0 (no rotation by tsgid) or at least 1KB.',
  check(values) {
    if (values.max_size !== 0 && values.max_size < 1024) throw new ValueError(`expected 0 (no rotation) or at least 1KB, got ${values.max_size} bytes`, undefined, ['max_size']);
  },
};
