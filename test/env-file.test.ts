/** The env_file parser: what dotenv files hold, and errors that name the line but never quote it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEnvFile } from '../daemon/config/env-file.js';
import { ValueError } from '../daemon/config/issues.js';

test('reads NAME=value lines: export, comments, quotes, escapes, values over several lines', () => {
  const text = [
    '\uFEFF# a comment',
    '',
    'PLAIN = some value   # trailing comment',
    'export EXPORTED=yes',
    "SINGLE='raw \\n $HOME # kept'",
    'DOUBLE="a\\tb\\nc \\"q\\" # kept"',
    'EMPTY=',
    'HASH=a#b',
    'KEY="-----BEGIN KEY-----',
    'abc',
    '-----END KEY-----"',
    'WIN=crlf\r',
  ].join('\n');
  assert.deepEqual(parseEnvFile(text, 'x.env'), {
    PLAIN: 'some value',
    EXPORTED: 'yes',
    SINGLE: 'raw \\n $HOME # kept',
    DOUBLE: 'a\tb\nc "q" # kept',
    EMPTY: '',
    HASH: 'a#b',
    KEY: '-----BEGIN KEY-----\nabc\n-----END KEY-----',
    WIN: 'crlf',
  });
});

test('a malformed line is an error naming the file and line, without its text', () => {
  const cases: Array<[string, RegExp]> = [
    ['A=1\nDB_PASSWORD hunter2\n', /^x\.env:2: expected NAME=value, a # comment or a blank line$/],
    ['A="open\nB=2\n', /^x\.env:1: A: the " quote is never closed$/],
    ["A='x' hunter2\n", /^x\.env:1: A: expected nothing but a comment after the closing quote$/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseEnvFile(text, 'x.env'), (err: unknown) => {
      assert.ok(err instanceof ValueError);
      assert.equal(err.code, 'TSGI_ERR_CONFIG_ENV_FILE');
      assert.match(err.message, message);
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    });
  }
});
