/**
 * The Node.js tsgi needs is stated once, in package.json's `engines`: tsgid checks it at start,
 * and the README and docs/deploy.md say the same version.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkNodeVersion } from '../daemon/node-version.js';
import { ROOT, TSGID, tempDir } from './helpers/daemon.js';

const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
const minimum = engines.slice(2);
const TOO_OLD = 'tsgi needs Node.js 20.6.0 or later (engines.node ">=20.6.0" in its package.json); this is Node.js v20.5.1';

describe('Node.js version', () => {
  it('engines.node is >=20.6.0 (tsx needs module.register()), and this Node satisfies it', () => {
    assert.equal(engines, '>=20.6.0');
    checkNodeVersion(process.version, engines);
  });

  it('compares major, minor and patch as numbers', () => {
    assert.throws(() => checkNodeVersion('v20.5.1', '>=20.6.0'), { code: 'TSGI_ERR_DAEMON_NODE_VERSION', message: TOO_OLD });
    assert.throws(() => checkNodeVersion('v19.9.0', '>=20.6.0'), { code: 'TSGI_ERR_DAEMON_NODE_VERSION' });
    assert.throws(() => checkNodeVersion('v20.6.0', '>=20.6.1'), { code: 'TSGI_ERR_DAEMON_NODE_VERSION' });
    for (const ok of ['v20.6.0', 'v20.10.0', 'v21.0.0', 'v22.1.0', 'v100.0.0']) checkNodeVersion(ok, '>=20.6.0');
    assert.throws(() => checkNodeVersion('v22.0.0', '^20'), /cannot compare/, 'a range of another form is a bug in tsgi, not a pass');
  });

  it('tsgid on an older Node exits 2 with the message, before it reads the config', () => {
    const dir = tempDir();
    const cfg = join(dir, 'tsgi.yaml');
    writeFileSync(cfg, 'apps: {}\n');
    // the same tsgid, told it runs on Node 20.5.1
    const old = spawnSync(process.execPath, ['--import', 'data:text/javascript,Object.defineProperty(process,"version",{value:"v20.5.1"})', TSGID, '--check', '-c', cfg], { encoding: 'utf8' });
    assert.equal(old.status, 2, old.stderr);
    assert.equal(old.stderr, `tsgid: ${TOO_OLD} [TSGI_ERR_DAEMON_NODE_VERSION]\n`);
    assert.equal(old.stdout, '', 'the config was not even checked');
    const current = spawnSync(process.execPath, [TSGID, '--check', '-c', cfg], { encoding: 'utf8' });
    assert.equal(current.status, 0, current.stderr);
  });

  it('README.md and docs/deploy.md name the same minimum as engines', () => {
    assert.match(readFileSync(join(ROOT, 'README.md'), 'utf8'), new RegExp(`Requires Node\\.js ${minimum.replaceAll('.', '\\.')} or later`));
    assert.match(readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8'), new RegExp(`tsgi supports Node\\.js ${minimum.replaceAll('.', '\\.')} and later`));
  });
});
