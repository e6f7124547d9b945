/**
 * The kinds only apps use: listen lists, modules, and maps (env, mounts).
 */
import { describe, isPlainMap, rethrowUnder, setOwn, ValueError } from './issues.js';
import { nonEmptyString, listenSchema, type Kind } from './kinds.js';
import { parseListen, type ListenAddress } from './listen.js';
import { MODULE_EXTENSIONS, parseAppRef } from './modules.js';

export const listens: Kind<ListenAddress[]> = {
  type: 'listen address, or a list',
  schema: { anyOf: [listenSchema, { type: 'array', items: listenSchema }] },
  parse(v, ctx) {
    if (!Array.isArray(v)) return [parseListen(v, ctx.dir)];
    // an empty list (the default) is a background app's: it takes no connections (background.ts)
    return v.map((item, i) => {
      try {
        return parseListen(item, ctx.dir);
      } catch (err) {
        return rethrowUnder(err, i);
      }
    });
  },
};

export const moduleSpec: Kind<string> = {
  type: 'module',
  format: `\`path/to/module[:export]\`, relative to the app's \`cwd\`; if no such file, ${MODULE_EXTENSIONS.join(' ')} are appended, then \`/index.*\` tried. \`:name\` picks an export (else the default one), \`:name()\` a factory called once per worker.`,
  schema: { type: 'string', minLength: 1 },
  parse(v) {
    const spec = nonEmptyString(v, 'a module "path/to/module[:export]"');
    if (parseAppRef(spec).modulePath === '') throw new ValueError(`expected a module "path/to/module[:export]", got ${describe(v)}`);
    return spec;
  },
};

/** A map of strings; numbers and booleans are turned into strings (`PORT: 8000` → `"8000"`). */
export const stringMap: Kind<Record<string, string>> = {
  type: 'map of string → string',
  schema: { type: 'object', additionalProperties: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] } },
  parse: (v) =>
    mapOf(v, 'a map of names to strings', (item, name) => {
      if (name === '' || /[=\0]/.test(name)) throw new ValueError(`expected a variable name without "=", got ${describe(name)}`, undefined, [], 'key');
      if (['string', 'number', 'boolean'].includes(typeof item)) return String(item);
      throw new ValueError(`expected a string, number or boolean, got ${describe(item)}`);
    }),
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;

/** `true` (everything), `false`, or names, where `PREFIX_*` takes every name that starts so. */
export const envNames: Kind<boolean | string[]> = {
  type: 'boolean, or list of names',
  format: 'Variable names; `NAME_*` takes every variable whose name starts with `NAME_`.',
  schema: { anyOf: [{ type: 'boolean' }, { type: 'array', items: { type: 'string', pattern: ENV_NAME.source } }] },
  parse(v) {
    if (typeof v === 'boolean') return v;
    if (!Array.isArray(v)) throw new ValueError(`expected true, false or a list of variable names, got ${describe(v)}`);
    return v.map((item, i) => {
      if (typeof item === 'string' && ENV_NAME.test(item)) return item;
      throw new ValueError(`expected a variable name (letters, digits, _; a trailing * for a prefix), got ${describe(item)}`, undefined, [i]);
    });
  },
};

export const mountMap: Kind<Record<string, string>> = {
  type: 'map of URL prefix → module',
  schema: { type: 'object', minProperties: 1, propertyNames: { pattern: '^/' }, additionalProperties: moduleSpec.schema },
  parse(v, ctx) {
    const mounts = mapOf(v, 'a map of URL prefixes to modules', (item, prefix) => {
      if (!prefix.startsWith('/')) throw new ValueError(`expected a URL prefix starting with "/", got ${describe(prefix)}`, undefined, [], 'key');
      return moduleSpec.parse(item, ctx);
    });
    if (Object.keys(mounts).length === 0) throw new ValueError('expected at least one URL prefix → module, got an empty map');
    return mounts;
  },
};

/** Parses each entry of a map, building a fresh map; errors name the entry's key. */
export function mapOf<T>(v: unknown, expected: string, parseItem: (item: unknown, key: string) => T): Record<string, T> {
  if (!isPlainMap(v)) throw new ValueError(`expected ${expected}, got ${describe(v)}`);
  const out: Record<string, T> = {};
  for (const [key, item] of Object.entries(v)) {
    try {
      setOwn(out, key, parseItem(item, key));
    } catch (err) {
      rethrowUnder(err, key);
    }
  }
  return out;
}

/** A command line as a list (argv), never one string: no shell is involved, so nothing is split or expanded. */
export const commandLine: Kind<string[]> = {
  type: 'list of strings',
  format: 'the program, then its arguments, as a YAML list (`[python3, worker.py]`): run without a shell',
  schema: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
  parse(v) {
    if (!Array.isArray(v) || v.length === 0) throw new ValueError(`expected a command as a non-empty list (the program, then its arguments), got ${describe(v)}`);
    return v.map((item, i) => {
      try {
        return nonEmptyString(item, 'a program or argument');
      } catch (err) {
        return rethrowUnder(err, i);
      }
    });
  },
};
