/**
 * The pure halves of "the API's changes persist": the YAML edit (comments, order, `${VAR}`s kept),
 * the atomic write's refusals, and the reload plan (what a reload would do, setting by setting).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig, type AppConfig } from '../daemon/config/index.js';
import { formatPlan, planReload } from '../daemon/config/diff.js';
import { editFor } from '../daemon/config/persist-command.js';
import { editConfigText, writeConfigEdit } from '../daemon/config/write-back.js';
import { isTsgiError } from '../daemon/errors.js';
import { tempDir } from './helpers/daemon.js';

const YAML = `# tsgi for the shop
admin: { listen: "unix:admin.sock" }

apps:
  # the storefront: keep two
  shop:
    app: ./app.mjs   # the entry
    listen: "127.0.0.1:0"
    workers: 2
    env: { API_KEY: "\${API_KEY}" }
  blog:
    app: ./app.mjs
    listen: ["127.0.0.1:0"]
`;

describe('write-back: the YAML edit', () => {
  it('scale changes one value and keeps every comment, the order and the ${VAR}s', () => {
    const out = editConfigText(YAML, 'tsgi.yaml', { kind: 'set', app: 'shop', key: 'workers', value: 5 });
    assert.equal(out, YAML.replace('workers: 2', 'workers: 5'));
  });

  it('stop writes autostart: false; start takes it out again', () => {
    const stopped = editConfigText(YAML, 'tsgi.yaml', { kind: 'set', app: 'blog', key: 'autostart', value: false });
    assert.match(stopped, /blog:\n {4}app: \.\/app\.mjs\n {4}listen: \["127\.0\.0\.1:0"\]\n {4}autostart: false\n/);
    assert.equal(editConfigText(stopped, 'tsgi.yaml', { kind: 'set', app: 'blog', key: 'autostart', value: undefined }), YAML);
  });

  it('add appends the entry as sent; remove deletes it with nothing else changed', () => {
    const added = editConfigText(YAML, 'tsgi.yaml', { kind: 'add', app: 'api', input: { app: './api.mjs', listen: '127.0.0.1:0', workers: 3 } });
    assert.ok(added.startsWith(YAML), 'the rest of the file is untouched');
    assert.match(added, /\n {2}api:\n {4}app: \.\/api\.mjs\n {4}listen: 127\.0\.0\.1:0\n {4}workers: 3\n$/);
    assert.equal(editConfigText(added, 'tsgi.yaml', { kind: 'remove', app: 'api' }), YAML);
  });

  it('an add over an entry the file has but the daemon has not loaded is refused', () => {
    assert.throws(() => editConfigText(YAML, 'tsgi.yaml', { kind: 'add', app: 'blog', input: { app: './x.mjs', listen: '127.0.0.1:0' } }), (e) => isTsgiError(e) && e.code === 'TSGI_ERR_APP_EXISTS');
  });

  it('an app the file no longer has is not written back (the file changed it: the next reload removes it)', () => {
    assert.equal(editConfigText(YAML, 'tsgi.yaml', { kind: 'set', app: 'gone', key: 'workers', value: 3 }), YAML);
  });

  it('a file that is not valid YAML any more is not overwritten', () => {
    assert.throws(() => editConfigText('apps: [\n', 'tsgi.yaml', { kind: 'remove', app: 'x' }), (e) => isTsgiError(e) && e.code === 'TSGI_ERR_CONFIG_WRITE');
  });

  it('a read-only file or folder refuses the write with TSGI_ERR_CONFIG_WRITE, and leaves the file and no temp file', () => {
    const dir = tempDir();
    const file = join(dir, 'tsgi.yaml');
    writeFileSync(file, YAML);
    chmodSync(file, 0o444);
    assert.throws(() => writeConfigEdit(file, { kind: 'set', app: 'shop', key: 'workers', value: 3 }), (e) => isTsgiError(e) && e.code === 'TSGI_ERR_CONFIG_WRITE' && /not writable/.test(e.message));
    chmodSync(file, 0o644);
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    const inRo = join(ro, 'tsgi.yaml');
    writeFileSync(inRo, YAML);
    chmodSync(ro, 0o555);
    // root writes into a read-only folder: only the file's own mode can refuse it then
    if (process.getuid?.() !== 0) try {
      assert.throws(() => writeConfigEdit(inRo, { kind: 'set', app: 'shop', key: 'workers', value: 3 }), (e) => isTsgiError(e) && e.code === 'TSGI_ERR_CONFIG_WRITE');
    } finally {
      chmodSync(ro, 0o755);
    }
    assert.equal(readFileSync(file, 'utf8'), YAML);
    assert.equal(readFileSync(inRo, 'utf8'), YAML);
    assert.deepEqual(readdirSync(ro), ['tsgi.yaml']);
  });

  it('writes atomically and keeps the file mode', () => {
    const dir = tempDir();
    const file = join(dir, 'tsgi.yaml');
    writeFileSync(file, YAML, { mode: 0o640 });
    chmodSync(file, 0o640);
    writeConfigEdit(file, { kind: 'set', app: 'shop', key: 'workers', value: 4 });
    assert.match(readFileSync(file, 'utf8'), /workers: 4/);
    assert.deepEqual(readdirSync(dir), ['tsgi.yaml'], 'no temp file left');
  });
});

let shared: string | undefined;
function config(yaml: string): ReturnType<typeof parseConfig> {
  const dir = (shared ??= tempDir());
  writeFileSync(join(dir, 'app.mjs'), 'export default () => {}\n');
  return parseConfig(yaml, join(dir, 'tsgi.yaml'), { API_KEY: 'k-123456789012345' });
}

describe('persist-command: which action writes what', () => {
  const shop = (): AppConfig => config(YAML).apps.shop!;
  it('scale, stop and start edit the file and the running config alike; a no-op edits nothing', () => {
    const s = editFor({ kind: 'scale', app: 'shop', workers: 3 }, shop());
    assert.deepEqual(s.edit, { kind: 'set', app: 'shop', key: 'workers', value: 3 });
    assert.equal(s.config?.workers, 3);
    assert.deepEqual(editFor({ kind: 'scale', app: 'shop', workers: 2 }, shop()), {});
    const stopped = editFor({ kind: 'stop', app: 'shop' }, shop()).config!;
    assert.equal(stopped.autostart, false);
    assert.deepEqual(editFor({ kind: 'restart', app: 'shop' }, stopped).edit, { kind: 'set', app: 'shop', key: 'autostart', value: undefined });
    assert.deepEqual(editFor({ kind: 'reload', app: 'shop' }, shop()), {});
    assert.deepEqual(editFor({ kind: 'stop-worker' }, shop()), {});
  });
});

describe('diff: what a reload would do', () => {
  it('lists add, remove, roll, stop and unchanged, setting by setting, never an env value', () => {
    const now = config(YAML);
    const next = config(YAML.replace('workers: 2', 'workers: 4').replace('API_KEY', 'API_KEY2').replace(/ {2}blog:[^]*$/, '  new:\n    app: ./app.mjs\n    listen: "127.0.0.1:0"\n'));
    const plan = planReload(Object.values(now.apps), next, now);
    const byApp = Object.fromEntries(plan.apps.map((p) => [p.app, p]));
    assert.deepEqual(Object.fromEntries(plan.apps.map((p) => [p.app, p.action])), { blog: 'remove', shop: 'roll', new: 'add' });
    assert.deepEqual(byApp.shop!.changes, [
      { key: 'env.API_KEY', from: '(set)' },
      { key: 'env.API_KEY2', to: '(new value)' },
      { key: 'workers', from: '2', to: '4' },
    ]);
    const text = formatPlan(plan);
    assert.ok(!text.includes('k-123456789012345'), text);
    assert.match(text, /~ shop: roll \(rolling reload\)\n {4}env\.API_KEY: \(set\) → \(unset\)\n {4}env\.API_KEY2: \(new value\)\n {4}workers: 2 → 4\n/);
    assert.match(text, /- blog: remove\n/);
    assert.match(text, /\+ new: add\n(?: {4}.*\n)*? {4}listen: \[127\.0\.0\.1:0\]\n/);
  });

  it('autostart false stops, back to true starts; the same file is unchanged everywhere', () => {
    const now = config(YAML);
    const stop = planReload(Object.values(now.apps), config(YAML.replace('workers: 2', 'workers: 2\n    autostart: false')), now);
    assert.deepEqual(stop.apps.map((p) => p.action), ['stop', 'unchanged']);
    const stopped = Object.values(config(YAML.replace('workers: 2', 'workers: 2\n    autostart: false')).apps);
    assert.deepEqual(planReload(stopped, now, now).apps.map((p) => p.action), ['start', 'unchanged']);
    assert.deepEqual(planReload(Object.values(now.apps), config(YAML), now).apps.map((p) => p.action), ['unchanged', 'unchanged']);
  });
});
