// The value parsers: durations, sizes, listen addresses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatListen, listensOverlap, parseDuration, parseListen, parseSize } from '../daemon/config/index.js';

test('durations become integer milliseconds', () => {
  const cases: [unknown, number][] = [['30s', 30_000], ['500ms', 500], ['2m', 120_000], ['1h', 3_600_000], ['1.5s', 1500], [250, 250], ['250', 250], ['0s', 0]];
  for (const [input, ms] of cases) assert.equal(parseDuration(input), ms, String(input));
  for (const bad of ['30 seconds', '-1s', '1d', '', 's', true, null, [], -5, Number.NaN]) {
    assert.throws(() => parseDuration(bad), { message: /^expected a duration like "30s"/ }, String(bad));
  }
});

test('sizes become bytes, 1KB = 1024', () => {
  const cases: [unknown, number][] = [['100B', 100], ['64KB', 65_536], ['512MB', 536_870_912], ['1GB', 1_073_741_824], ['1gb', 1_073_741_824], [4096, 4096], ['0.5KB', 512]];
  for (const [input, bytes] of cases) assert.equal(parseSize(input), bytes, String(input));
  for (const bad of ['12 parsecs', '-1MB', 'MB', false, {}]) assert.throws(() => parseSize(bad), { message: /^expected a size like "512MB"/ }, String(bad));
});

test('listen addresses', () => {
  assert.deepEqual(parseListen('127.0.0.1:8000', '/etc/tsgi'), { kind: 'tcp', host: '127.0.0.1', port: 8000, raw: '127.0.0.1:8000' });
  assert.deepEqual(parseListen('localhost:0', '/etc/tsgi'), { kind: 'tcp', host: 'localhost', port: 0, raw: 'localhost:0' });
  assert.deepEqual(parseListen(':80', '/etc/tsgi'), { kind: 'tcp', host: '0.0.0.0', port: 80, raw: ':80' });
  assert.deepEqual(parseListen('[::1]:8080', '/etc/tsgi'), { kind: 'tcp', host: '::1', port: 8080, raw: '[::1]:8080' });
  assert.deepEqual(parseListen('unix:run/a.sock', '/etc/tsgi'), { kind: 'unix', path: '/etc/tsgi/run/a.sock', raw: 'unix:run/a.sock' });
  assert.deepEqual(parseListen('unix:/tmp/a.sock', '/etc/tsgi'), { kind: 'unix', path: '/tmp/a.sock', raw: 'unix:/tmp/a.sock' });
  for (const bad of ['localhost', '127.0.0.1:65536', '::1:80', '[nope]:80', 'a b:80', '-x:80', 'unix:', 8000, '']) {
    assert.throws(() => parseListen(bad, '/'), { message: /^expected a/ }, String(bad));
  }
});

test('formatListen and listensOverlap', () => {
  const at = (s: string) => parseListen(s, '/srv');
  assert.equal(formatListen(at('[::1]:80')), '[::1]:80');
  assert.equal(formatListen(at(':80')), '0.0.0.0:80');
  assert.equal(formatListen(at('unix:a.sock')), 'unix:/srv/a.sock');
  assert.ok(listensOverlap(at('127.0.0.1:80'), at('127.0.0.1:80')));
  assert.ok(listensOverlap(at(':80'), at('127.0.0.1:80')));
  assert.ok(listensOverlap(at('unix:a.sock'), at('unix:/srv/./a.sock')));
  assert.ok(!listensOverlap(at('127.0.0.1:80'), at('127.0.0.2:80')));
  assert.ok(!listensOverlap(at(':0'), at(':0')));
  assert.ok(!listensOverlap(at('unix:a.sock'), at(':80')));
});
