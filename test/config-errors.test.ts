// Each kind of configuration error: its code, and a one-line message naming the file, the line
// and column, and the key path; several errors, one such line each.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ErrorCode, isTsgiError } from '../daemon/errors.js';
import { loadConfig, parseConfig } from '../daemon/config/index.js';

const dir = fileURLToPath(new URL('../../test/fixtures/config/full', import.meta.url));
const file = join(dir, 'tsgi.yaml');

/** An app `hello` on lines 1-4, with `extra` from line 5 on. */
const hello = (...extra: string[]): string => ['apps:', '  hello:', '    app: ./app.ts', '    listen: "127.0.0.1:8000"', ...extra, ''].join('\n');

function fails(text: string, code: ErrorCode, where: string, ...parts: string[]): void {
  assert.throws(
    () => parseConfig(text, file, {}),
    (err: unknown) => {
      assert.ok(isTsgiError(err), String(err));
      assert.equal(err.code, code, err.message);
      assert.ok(err.message.startsWith(`${file}:${where}: `), `"${err.message}" should start with the file:${where}`);
      for (const part of parts) assert.ok(err.message.includes(part), `"${err.message}" should include "${part}"`);
      assert.ok(!err.message.includes('\n'), 'one line');
      return true;
    },
  );
}

test('YAML syntax error', () => {
  // the line that opened the quote or the bracket, not the end of the text where the parser gave up
  fails('apps:\n  hello:\n    listen: "127.0.0.1:8000\n', 'TSGI_ERR_CONFIG_YAML', '3:13', 'invalid YAML: Missing closing "quote');
  fails('apps:\n  hello: {\n', 'TSGI_ERR_CONFIG_YAML', '2:10');
  fails('apps:\n  hello:\n    listen: [":8000"\n    workers: 2\n', 'TSGI_ERR_CONFIG_YAML', '3:13', 'end with a ]');
  fails('a: 1\na: 2\n', 'TSGI_ERR_CONFIG_YAML', '2:1', 'unique');
});

test('a key given twice is named, on its second line', () => {
  fails(hello('    workers: 2', '    workers: 3'), 'TSGI_ERR_CONFIG_YAML', '6:5', 'the key "workers" is given twice');
  fails('apps:\n  hello:\n    app: ./app.ts\n    "listen": ":8000"\n    "listen": ":8001"\n', 'TSGI_ERR_CONFIG_YAML', '5:5', 'the key "listen" is given twice');
});

test('every problem in the file at once, in the order of the file, each with its line', () => {
  const text = [
    'pidfile: ${NOT_SET_ANYWHERE}',
    'admin:',
    '  tokenfile: x',
    'apps:',
    '  hello:',
    '    app: ./app.ts',
    '    listen: ":8000"',
    '    worker: 2',
    '    timeout: soon',
    '  other:',
    '    app: ./nowhere.ts',
    '    listen: ":8001"',
    '',
  ].join('\n');
  assert.throws(
    () => parseConfig(text, file, {}),
    (err: unknown) => {
      assert.ok(isTsgiError(err), String(err));
      const lines = err.message.split('\n');
      assert.deepEqual(
        lines.map((l) => /^[^:]+:(\d+:\d+): (\S+):/.exec(l)?.slice(1, 3).join(' ')),
        ['1:10 pidfile', '3:3 admin.tokenfile', '8:5 apps.hello.worker', '9:14 apps.hello.timeout', '11:10 apps.other.app'],
        err.message,
      );
      assert.match(lines[0]!, /NOT_SET_ANYWHERE is not set/, 'an unset variable is told once, not again as a bad value');
      assert.equal(err.code, 'TSGI_ERR_CONFIG_ENV', 'the first problem\'s code');
      return true;
    },
  );
});

test('the admin API on a non-loopback address without a token is refused at load, as tsgid would at start', () => {
  fails('admin:\n  listen: "0.0.0.0:9000"\n  token_file: ./no-such-token\n', 'TSGI_ERR_CONFIG_INVALID', '2:11', 'admin.listen: 0.0.0.0:9000 is not a loopback address; set admin.token or admin.token_file');
  assert.doesNotThrow(() => parseConfig('admin:\n  listen: "0.0.0.0:9000"\n  token: s3cret\n', file, {}));
  assert.doesNotThrow(() => parseConfig('admin:\n  listen: "127.0.0.1:9000"\n  token_file: ./no-such-token\n', file, {}));
});

test('unknown top-level key, with a suggestion and the allowed keys', () => {
  fails('app:\n  hello: {}\n', 'TSGI_ERR_CONFIG_INVALID', '1:1', 'app: unknown key (did you mean "apps"?)', 'admin, pidfile, stats_interval, max_workers, max_concurrent_boots, shutdown_delay, upgrade_timeout, logs, apps');
  fails('color: blue\n', 'TSGI_ERR_CONFIG_INVALID', '1:1', 'color: unknown key; expected one of');
  fails('admin:\n  tokenfile: x\n', 'TSGI_ERR_CONFIG_INVALID', '2:3', 'admin.tokenfile: unknown key (did you mean "token_file"?)');
});

test('unknown app key, with a suggestion', () => {
  fails(hello('    worker: 2'), 'TSGI_ERR_CONFIG_INVALID', '5:5', 'apps.hello.worker: unknown key (did you mean "workers"?)', 'graceful_timeout');
  fails(hello('    restart:', '      window_ms: 5'), 'TSGI_ERR_CONFIG_INVALID', '6:7', 'apps.hello.restart.window_ms: unknown key', 'backoff_initial');
});

test('wrong types', () => {
  fails('apps: [hello]\n', 'TSGI_ERR_CONFIG_INVALID', '1:7', 'apps: expected a map of names to apps, got a list');
  fails('- 1\n', 'TSGI_ERR_CONFIG_INVALID', '1:1', '(top level): expected a map with keys admin, pidfile, stats_interval, max_workers, max_concurrent_boots, shutdown_delay, upgrade_timeout, logs, apps, got a list');
  fails(hello('    env: [A]'), 'TSGI_ERR_CONFIG_INVALID', '5:10', 'apps.hello.env: expected a map of names to strings, got a list');
  fails(hello('    env: { A: [1] }'), 'TSGI_ERR_CONFIG_INVALID', '5:15', 'apps.hello.env.A: expected a string, number or boolean, got a list');
  fails(hello('    interface: express'), 'TSGI_ERR_CONFIG_INVALID', '5:16', 'apps.hello.interface: expected one of auto, node, fetch, koa, fastify, listen, got "express"');
  fails(hello('    workers: two'), 'TSGI_ERR_CONFIG_INVALID', '5:14', 'apps.hello.workers: expected an integer from 1 to 128, got "two"');
  fails('max_workers: 0\n', 'TSGI_ERR_CONFIG_INVALID', '1:14', 'max_workers: expected an integer of at least 1, got 0');
});

test('workers out of range, against max_workers', () => {
  fails(hello('    workers: 200'), 'TSGI_ERR_CONFIG_INVALID', '5:14', 'apps.hello.workers: expected an integer from 1 to 128, got 200');
  fails(`max_workers: 4\n${hello('    workers: 5')}`, 'TSGI_ERR_CONFIG_INVALID', '6:14', 'apps.hello.workers: expected an integer from 1 to 4, got 5');
  fails(hello('    workers: 1.5'), 'TSGI_ERR_CONFIG_INVALID', '5:14', 'got 1.5');
});

test('bad duration', () => {
  fails(hello('    timeout: 30 seconds'), 'TSGI_ERR_CONFIG_INVALID', '5:14', 'apps.hello.timeout: expected a duration like "30s"', 'got "30 seconds"');
  fails(hello('    restart:', '      window: -1s'), 'TSGI_ERR_CONFIG_INVALID', '6:15', 'apps.hello.restart.window: expected a duration');
});

test('bad listen address', () => {
  const at = (listen: string) => ['apps:', '  hello:', '    app: ./app.ts', `    listen: ${listen}`, ''].join('\n');
  fails(at('localhost'), 'TSGI_ERR_CONFIG_INVALID', '4:13', 'apps.hello.listen: expected a listen address "HOST:PORT", ":PORT" or "unix:PATH", got "localhost"');
  fails(at('"127.0.0.1:70000"'), 'TSGI_ERR_CONFIG_INVALID', '4:13', 'apps.hello.listen: expected a port from 0 to 65535');
  fails(at('"::1:8000"'), 'TSGI_ERR_CONFIG_INVALID', '4:13', 'apps.hello.listen: expected a listen address');
  fails(at('"999.1.1.1:80"'), 'TSGI_ERR_CONFIG_INVALID', '4:13', 'expected an IPv4 address, a hostname or [IPv6]');
  fails(at('8000'), 'TSGI_ERR_CONFIG_INVALID', '4:13', 'got 8000');
  fails(at('\n      - ":8000"\n      - "unix:"'), 'TSGI_ERR_CONFIG_INVALID', '6:9', 'apps.hello.listen[1]: expected a socket path after "unix:"');
  fails('admin:\n  listen: nowhere\n', 'TSGI_ERR_CONFIG_INVALID', '2:11', 'admin.listen: expected a listen address');
});

test('an app with nothing to run points at the app; mounts without listen at mounts', () => {
  fails('apps:\n  hello:\n', 'TSGI_ERR_CONFIG_INVALID', '2:3', 'apps.hello: expected one of "app", "mounts" or "command", got none');
  fails('apps:\n  site:\n    mounts: { "/": ./app.ts }\n', 'TSGI_ERR_CONFIG_INVALID', '3:5', 'apps.site.mounts: expected "listen" with "mounts"');
});

test('exactly one of app or mounts', () => {
  fails(hello('    mounts: { "/": ./app.ts }'), 'TSGI_ERR_CONFIG_INVALID', '5:5', 'apps.hello.mounts: expected only one of "app", "mounts" or "command", got "app" and "mounts"');
  fails('apps:\n  hello:\n    listen: ":8000"\n', 'TSGI_ERR_CONFIG_INVALID', '2:3', 'apps.hello: expected one of "app", "mounts" or "command", got none');
  fails('apps:\n  site:\n    listen: ":8000"\n    mounts: { api: ./app.ts }\n', 'TSGI_ERR_CONFIG_INVALID', '4:15', 'apps.site.mounts.api: expected a URL prefix starting with "/"');
  fails('apps:\n  site:\n    listen: ":8000"\n    mounts: {}\n', 'TSGI_ERR_CONFIG_INVALID', '4:13', 'apps.site.mounts: expected at least one');
});

test('bad app name', () => {
  fails('apps:\n  Hello:\n    app: ./app.ts\n    listen: ":8000"\n', 'TSGI_ERR_CONFIG_INVALID', '2:3', 'apps.Hello: expected a name matching ^[a-z0-9][a-z0-9_-]*$ of at most 64 characters, got "Hello"');
  fails(`apps:\n  ${'a'.repeat(65)}: { app: ./app.ts, listen: ":8000" }\n`, 'TSGI_ERR_CONFIG_INVALID', '2:3', 'at most 64 characters');
  fails('apps:\n  "my app": { app: ./app.ts, listen: ":8000" }\n', 'TSGI_ERR_CONFIG_INVALID', '2:3', 'apps["my app"]: expected a name');
});

test('missing module file', () => {
  fails('apps:\n  hello:\n    app: ./nope.ts:handler\n    listen: ":8000"\n', 'TSGI_ERR_CONFIG_APP_MISSING', '3:10', 'apps.hello.app: module file not found: "./nope.ts"', join(dir, 'nope.ts'));
  fails('apps:\n  site:\n    listen: ":8000"\n    mounts:\n      /: ./app.ts\n      /api: ./sub/nope\n', 'TSGI_ERR_CONFIG_APP_MISSING', '6:13', 'apps.site.mounts["/api"]: module file not found: "./sub/nope"');
  // Modules resolve against the app's cwd, not the config file's directory.
  fails(hello('    cwd: sub'), 'TSGI_ERR_CONFIG_APP_MISSING', '3:10', 'apps.hello.app', join(dir, 'sub/app.ts'));
});

test('unset ${VAR} without a default', () => {
  fails(hello('    env:', '      DB: ${DB_URL}'), 'TSGI_ERR_CONFIG_ENV', '6:11', 'apps.hello.env.DB: environment variable DB_URL is not set', '${DB_URL:-default}');
  fails('pidfile: ${RUN}/x.pid\n', 'TSGI_ERR_CONFIG_ENV', '1:10', 'pidfile: environment variable RUN is not set');
  fails('pidfile: ${1X}\n', 'TSGI_ERR_CONFIG_INVALID', '1:10', 'pidfile: expected ${NAME} or ${NAME:-default}');
});

test('duplicate listen addresses', () => {
  const two = ['apps:', '  a:', '    app: ./app.ts', '    listen: "127.0.0.1:8000"', '  b:', '    app: ./app.ts', '    listen: ["127.0.0.1:8001", ":8000"]', ''].join('\n');
  fails(two, 'TSGI_ERR_CONFIG_INVALID', '7:32', 'apps.b.listen[1]: expected a listen address not used elsewhere, got ":8000", which clashes with apps.a.listen[0] ("127.0.0.1:8000")');
  fails(hello('  b:', '    app: ./app.ts', '    listen: "127.0.0.1:8000"'), 'TSGI_ERR_CONFIG_INVALID', '7:13', 'apps.b.listen[0]', 'apps.hello.listen[0]');
  fails(hello('    listen: ["unix:a.sock", "unix:./a.sock"]').replace('    listen: "127.0.0.1:8000"\n', ''), 'TSGI_ERR_CONFIG_INVALID', '4:29', 'apps.hello.listen[1]', 'clashes with listen[0]');
  fails(`admin:\n  listen: "127.0.0.1:8000"\n${hello()}`, 'TSGI_ERR_CONFIG_INVALID', '6:13', 'apps.hello.listen[0]', 'admin.listen');
  // Port 0 asks for any free port: never a clash.
  assert.doesNotThrow(() => parseConfig(hello('  b:', '    app: ./app.ts', '    listen: ["127.0.0.1:0", ":0"]').replace('8000', '0'), file, {}));
});

test('non-existent cwd', () => {
  fails(hello('    cwd: ./nowhere'), 'TSGI_ERR_CONFIG_INVALID', '5:10', 'apps.hello.cwd: expected an existing directory, got "./nowhere"', join(dir, 'nowhere'));
  fails(hello('    cwd: app.ts'), 'TSGI_ERR_CONFIG_INVALID', '5:10', 'apps.hello.cwd: expected an existing directory');
});

test('an unreadable file', () => {
  assert.throws(() => loadConfig(join(dir, 'missing.yaml')), (err: unknown) => {
    assert.ok(isTsgiError(err));
    assert.equal(err.code, 'TSGI_ERR_CONFIG_READ');
    assert.match(err.message, /missing\.yaml: cannot read the configuration file \(ENOENT\)/);
    return true;
  });
  assert.throws(() => loadConfig(dir), { code: 'TSGI_ERR_CONFIG_READ', message: /EISDIR/ });
});

test('a message names the file as given', () => {
  assert.throws(() => parseConfig('workers: 1\n', 'tsgi.yaml', {}), { message: /^tsgi\.yaml:1:1: workers: unknown key/ });
});
