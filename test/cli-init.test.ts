/**
 * tsgictl init on sample projects: what it finds (package.json main, the start script's file, a
 * server.ts, NestJS, Next.js), the tsgi.yaml it writes (valid, `${PORT:-8000}`), the entry it
 * writes for NestJS and Next.js, .gitignore, and what it refuses. The written config is then run
 * by a real tsgid for a plain Node app.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../daemon/config/load.js';
import { appName, startScriptFile } from '../cli/init-detect.js';
import { TSGICTL, get, startDaemon, tempDir } from './helpers/daemon.js';

function project(files: Record<string, string>): string {
  const dir = tempDir('tsgi-init-');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

function init(dir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [TSGICTL, 'init', ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
}

const pkg = (p: object) => JSON.stringify({ name: 'shop', version: '1.0.0', ...p });

describe('tsgictl init', { timeout: 120_000 }, () => {
  it('package.json main: a valid config with ${PORT:-8000}, .tsgi/ ignored once', () => {
    const dir = project({ 'package.json': pkg({ main: 'lib/app.js' }), 'lib/app.js': 'module.exports = (q, s) => s.end("x");\n', '.gitignore': 'node_modules' });
    const r = init(dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /found a Node app: \.\/lib\/app\.js/);
    const config = loadConfig(join(dir, 'tsgi.yaml'), { PORT: '9123' });
    assert.equal(config.apps.shop?.app, './lib/app.js');
    assert.equal(config.apps.shop?.listen[0]?.raw, '127.0.0.1:9123');
    assert.equal(loadConfig(join(dir, 'tsgi.yaml'), {}).apps.shop?.listen[0]?.raw, '127.0.0.1:8000');
    assert.equal(readFileSync(join(dir, '.gitignore'), 'utf8'), 'node_modules\n# tsgid\'s pidfile, admin socket and token\n.tsgi/\n');
    // again: refused without --force; with it, .gitignore is not touched twice
    assert.equal(init(dir).status, 2);
    assert.equal(init(dir, '--force').status, 0);
    assert.equal(readFileSync(join(dir, '.gitignore'), 'utf8').match(/\.tsgi\//g)?.length, 1);
  });

  it('the start script names the file; a listen() call is pointed out', () => {
    const dir = project({ 'package.json': pkg({ scripts: { start: 'node --env-file=.env src/server.mjs' } }), 'src/server.mjs': 'import http from "node:http";\nhttp.createServer(() => {}).listen(3000);\n' });
    const r = init(dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(readFileSync(join(dir, 'tsgi.yaml'), 'utf8'), /app: \.\/src\/server\.mjs/);
    assert.match(r.stdout, /note: \.\/src\/server\.mjs calls listen\(\)/);
  });

  it('a server.ts with no package.json; without tsx it says what to install', () => {
    const dir = project({ 'server.ts': 'export default { fetch: () => new Response("ts") };\n' });
    const r = init(dir, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { module: string; kind: string; notes: string[] };
    assert.equal(out.module, './server.ts');
    assert.match(out.notes.join('\n'), /npm install tsx/);
  });

  it('NestJS: writes src/tsgi.ts (no listen()) and asks for @swc/core when tsconfig emits decorator metadata', () => {
    const dir = project({
      'package.json': pkg({ dependencies: { '@nestjs/core': '^12' } }),
      'tsconfig.json': '{ "compilerOptions": { "emitDecoratorMetadata": true } }',
      'src/app.module.ts': 'export class AppModule {}\n',
      'src/main.ts': 'bootstrap();\n',
    });
    const r = init(dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(readFileSync(join(dir, 'tsgi.yaml'), 'utf8'), /app: \.\/src\/tsgi\.ts:make\(\)/);
    assert.match(readFileSync(join(dir, 'src/tsgi.ts'), 'utf8'), /NestFactory\.create\(AppModule\)[\s\S]*getHttpAdapter\(\)\.getInstance\(\)/);
    assert.match(r.stdout, /npm install @swc\/core/);
  });

  it('Next.js: writes tsgi-next.mjs through the custom-server API', () => {
    const dir = project({ 'package.json': pkg({ dependencies: { next: '^15', react: '^19' } }), 'pages/index.js': '' });
    const r = init(dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(readFileSync(join(dir, 'tsgi.yaml'), 'utf8'), /app: \.\/tsgi-next\.mjs:make\(\)/);
    assert.match(readFileSync(join(dir, 'tsgi-next.mjs'), 'utf8'), /getRequestHandler\(\)/);
    assert.match(r.stdout, /next build/);
  });

  it('nothing to serve: exit 2, saying what it looked for', () => {
    const r = init(project({ 'README.md': '# hi' }));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no app found/);
  });

  it('names and start scripts', () => {
    assert.equal(appName('@acme/My Shop'), 'my-shop');
    assert.equal(appName('---'), 'web');
    assert.equal(startScriptFile('tsx watch src/index.ts'), 'src/index.ts');
    assert.equal(startScriptFile('next start'), undefined);
    assert.equal(startScriptFile('node -r dotenv/config dist/main.js'), 'dist/main.js');
  });

  it('the config it writes runs: tsgid serves the app on PORT', async () => {
    const dir = project({ 'package.json': pkg({ main: 'app.mjs' }), 'app.mjs': 'export default (req, res) => res.end("from init");\n' });
    assert.equal(init(dir).status, 0);
    const yaml = readFileSync(join(dir, 'tsgi.yaml'), 'utf8');
    const d = await startDaemon(yaml, { dir, env: { PORT: '0' } });
    try {
      assert.equal((await get(await d.url('shop'))).body, 'from init');
    } finally {
      await d.stop();
    }
  });
});
