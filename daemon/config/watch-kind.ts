/**
 * `watch:` — `true` (the app's cwd), `false`, or `{ paths, ignore, debounce }`. Paths stay as
 * written and are resolved against the app's cwd by the watcher, so they follow a changed cwd.
 */
import { describe, isPlainMap, ValueError } from './issues.js';
import type { Kind } from './kinds.js';
import { parseDuration } from './values.js';

export interface WatchSettings {
  /** relative to the app's cwd, or absolute */
  paths: string[];
  /** extra glob patterns (`*`, `**`, `?`) on top of node_modules, .git and *.log */
  ignore: string[];
  /** ms of quiet after the last change before one reload */
  debounce: number;
}

const DEFAULT_DEBOUNCE = 300;
const KEYS = ['paths', 'ignore', 'debounce'];

export const watchSpec: Kind<WatchSettings | false> = {
  type: 'boolean, or { paths, ignore, debounce }',
  format: `\`true\` watches the app's cwd; a map sets \`paths\` (list, relative to cwd; default \`["."]\`), \`ignore\` (list of globs, added to node_modules, .git and *.log) and \`debounce\` (duration, default ${DEFAULT_DEBOUNCE}ms).`,
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
    if (v === true) return { paths: ['.'], ignore: [], debounce: DEFAULT_DEBOUNCE };
    if (!isPlainMap(v)) throw new ValueError(`expected true, false or a map with ${KEYS.join(', ')}, got ${describe(v)}`);
    for (const key of Object.keys(v)) {
      if (!KEYS.includes(key)) throw new ValueError(`unknown key; expected one of ${KEYS.join(', ')}`, undefined, [key], 'key');
    }
    return {
      paths: v.paths === undefined ? ['.'] : stringList(v.paths, 'paths', 1),
      ignore: v.ignore === undefined ? [] : stringList(v.ignore, 'ignore', 0),
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
