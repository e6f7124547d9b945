/**
 * Parsers for the scalar value types that carry units: durations and sizes.
 * They throw a ValueError ("expected ..., got ..."); the caller adds the file, line and key.
 */
import { describe, ValueError } from './issues.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;

/** `30s`, `500ms`, `2m`, `1h`, `1.5s`, or a bare number of milliseconds → integer milliseconds. */
export function parseDuration(v: unknown): number {
  return withUnit(v, DURATION, DURATION_UNITS, 'ms', 'a duration like "30s", "500ms", "2m", "1h" or a number of milliseconds');
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };
const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?$/i;

/** `512MB`, `64KB`, `1GB`, `100B` or a bare number of bytes → integer bytes (1KB = 1024). */
export function parseSize(v: unknown): number {
  return withUnit(v, SIZE, SIZE_UNITS, 'b', 'a size like "512MB", "64KB", "1GB", "100B" or a number of bytes');
}

function withUnit(v: unknown, pattern: RegExp, units: Record<string, number>, bare: string, expected: string): number {
  let amount: number;
  let unit = bare;
  if (typeof v === 'number') {
    amount = v;
  } else if (typeof v === 'string' && pattern.test(v.trim())) {
    const [, n, u] = pattern.exec(v.trim()) ?? [];
    amount = Number(n);
    unit = u?.toLowerCase() ?? bare;
  } else {
    throw new ValueError(`expected ${expected}, got ${describe(v)}`);
  }
  const result = Math.round(amount * (units[unit] ?? 1));
  if (!Number.isSafeInteger(result) || result < 0) throw new ValueError(`expected ${expected}, got ${describe(v)}`);
  return result;
}
