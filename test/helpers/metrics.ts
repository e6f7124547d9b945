/** Reading GET /metrics in tests: a strict parse of the Prometheus text format, and a look-up by labels. */
import assert from 'node:assert/strict';
import { get } from './daemon.js';
import { waitFor } from './wait.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reading of the text format (version 0.0.4): every line a HELP, a TYPE or a sample;
 * every sample of a family announced by a TYPE before it; a histogram's samples only its
 * _bucket (with le), _sum and _count.
 */
export function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        assert.match(meta[3]!, /^(counter|gauge|histogram|summary|untyped)$/, line);
        assert.ok(!types.has(meta[2]!), `one TYPE line for ${meta[2]}`);
        types.set(meta[2]!, meta[3]!);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
    let consumed = 0;
    for (let l = re.exec(body); l !== null; l = re.exec(body)) {
      labels[l[1]!] = l[2]!;
      consumed = re.lastIndex;
    }
    assert.equal(consumed, body.length, `labels parse: ${line}`);
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    assert.ok(!Number.isNaN(value), `a number: ${line}`);
    const name = m[1]!;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    const type = types.get(family);
    assert.ok(type !== undefined, `${name} comes after its TYPE line`);
    if (type === 'histogram') {
      assert.notEqual(name, family, `a histogram has only _bucket, _sum and _count samples: ${line}`);
      if (name.endsWith('_bucket')) assert.ok('le' in labels, `a bucket has le: ${line}`);
    }
    samples.push({ name, labels, value });
  }
  return { types, samples };
}

export function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const s = samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value;
}

/** GET /metrics over a tsgid's admin unix socket (which needs no token). */
export async function scrape(socketPath: string): Promise<Sample[]> {
  const r = await get('http://localhost/metrics', { socketPath });
  assert.equal(r.status, 200, r.body);
  return parseExposition(r.body).samples;
}

/** Scrape until `pred` holds: heartbeats bring counts within a beat; the deadline only stops a hang. */
export async function scrapeUntil(socketPath: string, what: string, pred: (s: Sample[]) => boolean): Promise<Sample[]> {
  let last: Sample[] = [];
  return waitFor(async () => pred((last = await scrape(socketPath))) && last, {
    what,
    detail: () => `last scrape:\n${last.map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`).join('\n')}`,
  });
}
