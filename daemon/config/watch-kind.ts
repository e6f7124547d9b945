/**
 * `watch:` — `true` (the source files under the app's cwd), `false`, or `{ paths, ignore, debounce }`. Paths stay as
 * written and are resolved against the app's cwd by the watcher, so they follow a changed cwd.
 */
import { describe, isPlainMap, ValueError } from './issues.js';
import type { Kind } from './kinds.js';
import { parseDuration } from './values.js';

export interface WatchSettings {
  /** relative to the app's cwd, or absolute */
  paths: string[];
  /** glob patterns (`*`, `**`, `?`), on top of node_modules, .git, .tsgi/cache and *.log */
  ignore: string[];
  /** file extensions (no dot) that count; undefined: every file */
  extensions?: string[];
  /** ms of quiet after the last change before one reload */
  debounce: number;
}

const DEFAULT_DEBOUNCE = 300;
/** nodemon's default extensions, and TypeScript's: what is source in a Node project. */
export const SOURCE_EXTENSIONS = ['js', 'mjs', 'cjs', 'jsx', 'ts', 'mts', 'cts', 'tsx', 'json'];
/** Folders an app writes into while it runs (uploads, caches, logs): a file landing there is not new code. */
export const DEFAULT_IGNORE = ['uploads', 'upload', 'tmp', 'temp', 'cache', '.cache', 'log', 'logs', 'coverage', '.next', '.tsgi'];
const KEYS = ['paths', 'ignore', 'debounce'];

export const watchSpec: Kind<WatchSettings | false> = {
  type: 'boolean, or { paths, ignore, debounce }',
  format: `\`true\` watches the source files (${SOURCE_EXTENSIONS.map((e) => `.${e}`).join(' ')}, nodemon's extensions and TypeScript's) under the app's cwd, except in node_modules, .git, .tsgi/cache (the TypeScript compile cache), *.log and ${DEFAULT_IGNORE.join(', ')} (where an app writes uploads, caches and logs). A map sets \`paths\` (list, relative to cwd; default \`["."]\`; given, every file in them counts, whatever its extension), \`ignore\` (list of globs; given, it replaces ${DEFAULT_IGNORE.slice(0, 2).join(', ')}… — node_modules, .git, .tsgi/cache and *.log stay ignored) and \`debounce\` (duration, default ${DEFAULT_DEBOUNCE}ms).`,
  schema: {
    anyOf: [
      { type: 'boolean' },
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          paths: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
          ignore: { type: 'array', items: { type: 'string', minLength: 1 } },
          debounce: { anyOf: [{ type: 'string' }, { type: 'number' }] },
        },
      },
    ],
  },
  parse(v) {
    if (v === false) return false;
    if (v === true) return { paths: ['.'], ignore: DEFAULT_IGNORE, extensions: SOURCE_EXTENSIONS, debounce: DEFAULT_DEBOUNCE };
    if (!isPlainMap(v)) throw new ValueError(`expected true, false or a map with ${KEYS.join(', ')}, got ${describe(v)}`);
    for (const key of Object.keys(v)) {
      if (!KEYS.includes(key)) throw new ValueError(`unknown key; expected one of ${KEYS.join(', ')}`, undefined, [key], 'key');
    }
    return {
      paths: v.paths === undefined ? ['.'] : stringList(v.paths, 'paths', 1),
      ignore: v.ignore === undefined ? DEFAULT_IGNORE : stringList(v.ignore, 'ignore', 0),
      ...(v.paths === undefined ? { extensions: SOURCE_EXTENSIONS } : {}),
      debounce: v.debounce === undefined ? DEFAULT_DEBOUNCE : duration(v.debounce),
    };
  },
};

function stringList(v: unknown, key: string, min: number): string[] {
  if (!Array.isArray(v) || v.length < min || !v.every((s) => typeof s === 'string' && s !== '')) {
    throw new ValueError(`expected a list of ${min > 0 ? 'at least one ' : ''}non-empty strings, got ${describe(v)}`, undefined, [key]);
  }
  return v as string[];
}

function duration(v: unknown): number {
  try {
    return parseDuration(v);
  } catch (err) {
    throw new ValueError((err as Error).message, undefined, ['debounce']);
  }
}
