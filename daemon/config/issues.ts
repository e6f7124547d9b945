/**
 * How a configuration problem is described, wherever it is found.
 *
 * Parsers throw a `ValueError` that knows only what was expected and what was found; each level
 * that walks into a map or list prefixes its own key with `under()`, so the error arrives at the
 * top with its full key path, and only then gets a file, line and column (see load.ts).
 */
import type { ErrorCode } from '../errors.js';

/** A key path into the configuration: `['apps', 'hello', 'listen', 1]`. */
export type Path = readonly (string | number)[];

export interface Position {
  line: number;
  col: number;
}

export class ValueError extends Error {
  override readonly name = 'ValueError';

  constructor(
    message: string,
    readonly code: ErrorCode = 'TSGI_ERR_CONFIG_INVALID',
    /** Where below the value being parsed the problem is. */
    readonly at: Path = [],
    /** Point at the key (unknown or missing keys) or at the value (a bad value). */
    readonly target: 'key' | 'value' = 'value',
    /** the other problems found in the same walk, so a file's errors are all told at once */
    readonly others: readonly ValueError[] = [],
  ) {
    super(message);
  }

  /** The same error seen from one level up. */
  under(...keys: Path): ValueError {
    return new ValueError(this.message, this.code, [...keys, ...this.at], this.target, this.others.map((o) => o.under(...keys)));
  }

  /** This problem and the others, each on its own. */
  all(): ValueError[] {
    return [new ValueError(this.message, this.code, this.at, this.target), ...this.others];
  }
}

/** Several problems as one error (the first's message and code), or undefined for none. */
export function combine(errors: readonly ValueError[]): ValueError | undefined {
  const flat = errors.flatMap((e) => e.all());
  const [first, ...rest] = flat;
  return first && new ValueError(first.message, first.code, first.at, first.target, rest);
}

/** Runs `fn`; a ValueError it throws is kept in `errors` (seen from `keys`), so the walk goes on. */
export function collect(errors: ValueError[], fn: () => void, ...keys: Path): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ValueError)) throw err;
    errors.push(err.under(...keys));
  }
}

/** Rethrows a ValueError one level up; anything else is a bug and passes through untouched. */
export function rethrowUnder(err: unknown, ...keys: Path): never {
  throw err instanceof ValueError ? err.under(...keys) : err;
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `apps.site.mounts["/api"]`, `apps.site.listen[1]`; the empty path is `(top level)`. */
export function formatPath(path: Path): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((k, i) => (typeof k === 'number' ? `[${k}]` : PLAIN_KEY.test(k) ? (i === 0 ? k : `.${k}`) : `[${JSON.stringify(k)}]`))
    .join('');
}

/** What was found, for the "got ..." half of a message. */
export function describe(v: unknown): string {
  if (v === undefined || v === null) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return String(v);
}

/** The one-line message format: `tsgi.yaml:7:14: apps.hello.workers: expected ..., got ...`. */
export function formatIssue(file: string | undefined, pos: Position | undefined, path: Path, message: string): string {
  const where = [file, pos?.line, pos?.col].filter((p) => p !== undefined).join(':');
  return `${where ? `${where}: ` : ''}${formatPath(path)}: ${message}`;
}

export function isPlainMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets an own property even for keys like `__proto__`, which a plain assignment would swallow. */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
