/**
 * Kinds of setting values. A kind is everything the rest of the module derives from a type: the
 * parser (and so the TypeScript type, by inference), the JSON schema, and the docs label.
 * The scalar kinds are here; app-kinds.ts has the lists and maps apps use.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, ValueError } from './issues.js';
import { parseListen, type ListenAddress } from './listen.js';
import type { Runner } from './users.js';
import { parseDuration, parseSize } from './values.js';

export type JsonSchema = { readonly [keyword: string]: unknown };

export interface ParseContext {
  /** The base for relative paths: the config file's directory (or the API's base directory). */
  readonly dir: string;
  /** Top-level values parsed so far, in declaration order (so `workers` can see `max_workers`). */
  readonly top: Readonly<Record<string, unknown>>;
  /** Who tsgid runs as, when a daemon will run what is parsed: the `user` rule checks against it (privileges.ts). */
  readonly runner?: Runner;
}

export interface Kind<T> {
  /** The short label in the docs' type column. */
  readonly type: string;
  /** How a value of this type is written, for the docs' value-types table. */
  readonly format?: string;
  readonly schema: JsonSchema;
  parse(value: unknown, ctx: ParseContext): T;
}

export const text: Kind<string> = {
  type: 'string',
  schema: { type: 'string', minLength: 1 },
  parse: (v) => nonEmptyString(v, 'a non-empty string'),
};

export const boolean: Kind<boolean> = {
  type: 'boolean',
  schema: { type: 'boolean' },
  parse(v) {
    if (typeof v === 'boolean') return v;
    throw new ValueError(`expected true or false, got ${describe(v)}`);
  },
};

export const filePath: Kind<string> = {
  type: 'path',
  format: "A file path; relative paths are resolved against the config file's directory.",
  schema: { type: 'string', minLength: 1 },
  parse: (v, ctx) => resolve(ctx.dir, nonEmptyString(v, 'a path')),
};

export const directory: Kind<string> = {
  type: 'directory',
  format: "An existing directory; relative paths are resolved against the config file's directory.",
  schema: { type: 'string', minLength: 1 },
  parse(v, ctx) {
    const dir = resolve(ctx.dir, nonEmptyString(v, 'a directory'));
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new ValueError(`expected an existing directory, got ${describe(v)} (${dir} is not one)`);
    return dir;
  },
};

/** `max` may name a top-level setting declared earlier, e.g. `'max_workers'`. */
export function integer(bounds: { min: number; max?: number | string }): Kind<number> {
  const { min, max } = bounds;
  return {
    type: max === undefined ? `integer ≥ ${min}` : `integer ${min}..${max}`,
    schema: { type: 'integer', minimum: min, ...(typeof max === 'number' && { maximum: max }) },
    parse(v, ctx) {
      const ceiling = typeof max === 'string' ? ctx.top[max] : max;
      const hi = typeof ceiling === 'number' ? ceiling : Infinity;
      if (Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= hi) return v as number;
      throw new ValueError(`expected an integer ${hi === Infinity ? `of at least ${min}` : `from ${min} to ${hi}`}, got ${describe(v)}`);
    },
  };
}

export function oneOf<const V extends string>(values: readonly V[]): Kind<V> {
  return {
    type: values.join(' | '),
    schema: { type: 'string', enum: values },
    parse(v) {
      if (values.includes(v as V)) return v as V;
      throw new ValueError(`expected one of ${values.join(', ')}, got ${describe(v)}`);
    },
  };
}

export const duration: Kind<number> = {
  type: 'duration',
  format: '`30s`, `500ms`, `2m`, `1h`, or a bare number of milliseconds.',
  schema: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^\\d+(\\.\\d+)?\\s*(ms|s|m|h)?$' }] },
  parse: (v) => parseDuration(v),
};

export const size: Kind<number> = {
  type: 'size',
  format: '`512MB`, `64KB`, `1GB`, `100B`, or a bare number of bytes (1KB = 1024 bytes).',
  schema: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^\\d+(\\.\\d+)?\\s*([bB]|[kKmMgGtT][bB])?$' }] },
  parse: (v) => parseSize(v),
};

export const listenSchema = { type: 'string', pattern: '^(unix:.+|(\\[[0-9A-Fa-f:.]+\\]|[^:\\[\\]]*):\\d+)$' };

export const listen: Kind<ListenAddress> = {
  type: 'listen address',
  format: "`HOST:PORT` (IPv4 or hostname), `[IPv6]:PORT`, `:PORT` (all interfaces, 0.0.0.0) or `unix:PATH` (relative to the config file's directory). Port 0 picks a free port.",
  schema: listenSchema,
  parse: (v, ctx) => parseListen(v, ctx.dir),
};

export function nonEmptyString(v: unknown, expected: string): string {
  if (typeof v === 'string' && v !== '') return v;
  throw new ValueError(`expected ${expected}, got ${describe(v)}`);
}
