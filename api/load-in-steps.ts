/**
 * Loads fastify and its heavy dependencies a few modules per turn of the event loop. The admin API
 * is built on the arbiter's loop (lazy-api.ts), which also accepts every app's new connections:
 * `import('fastify')` evaluates ~150 CommonJS modules in one synchronous block (60–120 ms at a load
 * of 10), and each step here is one module and what it requires (≤ 20 ms at that load). Each step
 * only fills the require cache that fastify's own `require` then finds; a step that cannot be
 * resolved (another layout of node_modules) is skipped, and fastify loads it itself as before.
 */
import { createRequire } from 'node:module';
import { setImmediate as turn } from 'node:timers/promises';

/** [who requires it, what], in dependency order, so that each step evaluates little that is new */
const STEPS: ReadonlyArray<readonly ['tsgi' | 'fastify' | 'ajv-compiler', string]> = [
  ['ajv-compiler', 'fast-uri'],
  ['ajv-compiler', 'ajv/dist/compile/codegen'],
  ['ajv-compiler', 'ajv/dist/compile/validate'],
  ['ajv-compiler', 'ajv/dist/core'],
  ['ajv-compiler', 'ajv/dist/vocabularies/core'],
  ['ajv-compiler', 'ajv/dist/vocabularies/validation'],
  ['ajv-compiler', 'ajv/dist/vocabularies/applicator'],
  ['ajv-compiler', 'ajv'],
  ['ajv-compiler', 'ajv/dist/jtd'],
  ['ajv-compiler', 'ajv-formats'],
  ['fastify', '@fastify/ajv-compiler'],
  ['fastify', 'fast-json-stringify'],
  ['fastify', '@fastify/fast-json-stringify-compiler'],
  ['fastify', 'find-my-way'],
  ['fastify', 'avvio'],
  ['fastify', 'pino'],
  ['fastify', 'light-my-request'],
  ['fastify', 'semver'],
  ['tsgi', 'fastify/lib/reply'],
  ['tsgi', 'fastify/lib/server'],
  ['tsgi', 'fastify'],
];

export async function loadFastifyInSteps(): Promise<void> {
  let own: NodeJS.Require;
  let fromFastify: NodeJS.Require;
  let fromAjvCompiler: NodeJS.Require;
  try {
    own = createRequire(import.meta.url);
    fromFastify = createRequire(own.resolve('fastify'));
    fromAjvCompiler = createRequire(fromFastify.resolve('@fastify/ajv-compiler'));
  } catch {
    return;
  }
  for (const [who, id] of STEPS) {
    await turn();
    try {
      ({ tsgi: own, fastify: fromFastify, 'ajv-compiler': fromAjvCompiler })[who](id);
    } catch {
      // not where this layout expected it: fastify finds its own
    }
  }
  await turn();
}
