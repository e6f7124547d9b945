// A plain JavaScript app must not pay for TypeScript: tsx stays unregistered until a .ts
// module is loaded. Probed from outside the loader (can Node load TypeScript?), in its own
// process, since registering tsx cannot be undone for the rest of a test file.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadHostedApp } from '../daemon/worker/load-app.js';
import { typeScriptEnabled } from '../daemon/worker/ts-loader.js';

const cwd = fileURLToPath(new URL('../../test/fixtures/apps/', import.meta.url));
const tsModule = pathToFileURL(`${cwd}ts-app/shout.ts`).href;
const require = createRequire(import.meta.url);

test('loading JavaScript apps leaves Node unable to load TypeScript', async () => {
  const mounts = { '/a': './node-listener.cjs', '/b': './express-app.mjs', '/c': './index-app', '/d': './koa-app.mjs' };
  await loadHostedApp({ cwd, mounts, interface: 'auto' });
  assert.equal(typeScriptEnabled(), false);
  assert.equal(require.extensions['.ts'], undefined, 'no CommonJS hook for .ts');
  // A query of its own: Node caches a failed import by URL, and the .ts app below imports shout.ts too.
  // Node 20 knows no .ts at all; later Nodes strip types but cannot run shout.ts's enum. Only tsx could.
  await assert.rejects(import(`${tsModule}?probe=before`), (err: { code?: string }) =>
    ['ERR_UNKNOWN_FILE_EXTENSION', 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX'].includes(err.code ?? ''),
  );
});

test('the probes are live: loading a .ts app flips all three', async () => {
  await loadHostedApp({ cwd, module: './ts-app/main.ts', interface: 'auto' });
  assert.equal(typeScriptEnabled(), true);
  assert.equal(typeof require.extensions['.ts'], 'function');
  const shout = (await import(`${tsModule}?probe=after`)) as { shout: (text: string, times: number) => string };
  assert.equal(shout.shout('x', 2), 'X X');
});
