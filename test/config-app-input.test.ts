// One app as the admin API receives it: parseAppInput and its JSON schema.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isTsgiError } from '../daemon/errors.js';
import { appJsonSchema, appSection, loadConfig, parseAppInput, sameAppConfig } from '../daemon/config/index.js';

const dir = fileURLToPath(new URL('../../test/fixtures/config/full', import.meta.url));

function rejects(input: unknown, code: string, message: string, name = 'hello', maxWorkers = 4): void {
  assert.throws(
    () => parseAppInput(name, input, dir, maxWorkers),
    (err: unknown) => {
      assert.ok(isTsgiError(err), String(err));
      assert.equal(err.code, code, err.message);
      assert.ok(err.message.startsWith(message), `"${err.message}" should start with "${message}"`);
      return true;
    },
  );
}

test('parseAppInput parses one app like a YAML entry, against the base directory', () => {
  const app = parseAppInput('hello', { app: './app.ts:make()', listen: ['127.0.0.1:0', 'unix:run/x.sock'], workers: 4, env: { N: 1 }, restart: { window: '10s' } }, dir, 4);
  assert.equal(app.name, 'hello');
  assert.equal(app.cwd, dir);
  assert.equal(app.workers, 4);
  assert.deepEqual(app.env, { N: '1' });
  assert.deepEqual(app.listen[1], { kind: 'unix', path: join(dir, 'run/x.sock'), raw: 'unix:run/x.sock' });
  assert.equal(app.restart.window, 10_000);
  assert.equal(app.restart.backoff_initial, 500);
  assert.equal(app.timeout, 30_000);
});

test('an app from the API equals the same app from the file', () => {
  const fromFile = loadConfig(join(dir, 'tsgi.yaml'), { TSGI_TEST_TOKEN: 'x' }).apps.minimal!;
  assert.ok(sameAppConfig(parseAppInput('minimal', { app: './app', listen: 'localhost:0' }, dir, 8), fromFile));
});

test('an app without listen is a background app', () => {
  assert.deepEqual(parseAppInput('hello', { app: './app.ts' }, dir, 4).listen, []);
});

test('parseAppInput errors name the key path, without a line', () => {
  rejects({ app: './app.ts', listen: ':8000', workers: 9 }, 'TSGI_ERR_CONFIG_INVALID', 'apps.hello.workers: expected an integer from 1 to 4, got 9');
  rejects({ app: './app.ts', listen: ':8000', worker: 2 }, 'TSGI_ERR_CONFIG_INVALID', 'apps.hello.worker: unknown key (did you mean "workers"?)');
  rejects({ mounts: { '/': './app.ts' } }, 'TSGI_ERR_CONFIG_INVALID', 'apps.hello.mounts: expected "listen" with "mounts"');
  rejects({ app: './app.ts', listen: [':8000', 'bad'] }, 'TSGI_ERR_CONFIG_INVALID', 'apps.hello.listen[1]: expected a listen address');
  rejects({ app: './app.ts', mounts: { '/': './app.ts' }, listen: ':8000' }, 'TSGI_ERR_CONFIG_INVALID', 'apps.hello.mounts: expected only one of "app", "mounts" or "command"');
  rejects({ listen: ':8000' }, 'TSGI_ERR_CONFIG_INVALID', 'apps.hello: expected one of "app", "mounts" or "command", got none');
  rejects({ app: './app.ts', listen: ':8000', restart: { max_failures: 0 } }, 'TSGI_ERR_CONFIG_INVALID', 'apps.hello.restart.max_failures: expected an integer of at least 1, got 0');
  rejects({ app: './gone.ts', listen: ':8000' }, 'TSGI_ERR_CONFIG_APP_MISSING', 'apps.hello.app: module file not found: "./gone.ts"');
  rejects({ app: './app.ts', listen: ':8000', cwd: 'nowhere' }, 'TSGI_ERR_CONFIG_INVALID', 'apps.hello.cwd: expected an existing directory');
  rejects('app.ts', 'TSGI_ERR_CONFIG_INVALID', 'apps.hello: expected a map with keys app, command, cron');
  rejects({ app: './app.ts', listen: ':8000' }, 'TSGI_ERR_CONFIG_INVALID', 'apps.-x: expected a name matching', '-x');
});

test('appJsonSchema: a closed object listing every app setting', () => {
  const schema = appJsonSchema as { type: string; additionalProperties: boolean; properties: Record<string, { description?: string; additionalProperties?: boolean; properties?: object }>; required: string[] };
  assert.equal(schema.type, 'object');
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(Object.keys(schema.properties), Object.keys(appSection.fields));
  for (const key of ['app', 'mounts', 'interface', 'listen', 'workers', 'cwd', 'env', 'graceful_timeout', 'boot_timeout', 'timeout', 'restart']) {
    assert.ok(schema.properties[key], key);
  }
  assert.equal(schema.properties.restart?.additionalProperties, false);
  assert.deepEqual(Object.keys(schema.properties.restart?.properties ?? {}), Object.keys(appSection.fields.restart.fields));
  // no key is required: without listen an app is a background app (docs/TSGI.md §10)
  assert.equal(schema.required, undefined);
  assert.match(schema.properties.workers?.description ?? '', /worker processes/);
  // Plain JSON, nothing a JSON schema validator would choke on.
  assert.deepEqual(JSON.parse(JSON.stringify(appJsonSchema)), appJsonSchema);
});
