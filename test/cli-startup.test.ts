/**
 * tsgictl must start fast: its static import graph (what loads before any command runs) holds no
 * fastify, no arbiter, no config loader and no yaml package. Those load on demand (`config check`,
 * YAML the quick reader declines), through `await import()`, which this walk does not follow.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { it } from 'node:test';
import { ROOT } from './helpers/daemon.js';

const STATIC_IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;

function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!file.startsWith('/')) return; // a builtin or a package: recorded, not walked
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('node:')) seen.add(spec);
      else if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else seen.add(`package:${spec}`);
    }
  };
  visit(entry);
  return seen;
}

it('tsgictl loads no fastify, arbiter, config loader or yaml before running a command', () => {
  const graph = [...staticGraph(join(ROOT, 'dist/cli/main.js'))].map((f) => (f.startsWith('/') ? relative(join(ROOT, 'dist'), f) : f));
  const heavy = graph.filter((f) => /fastify|yaml|arbiter|app-pool|config\/(load|index|settings|validate)\.js|^api\/(server|routes)/.test(f) && f !== 'cli/admin-yaml.js');
  assert.deepEqual(heavy, [], `statically imported: ${heavy.join(', ')}`);
  assert.ok(graph.includes('cli/find-daemon.js'));
  assert.ok(graph.every((f) => !f.startsWith('package:')), `no package on the startup path: ${graph.filter((f) => f.startsWith('package:'))}`);
});
