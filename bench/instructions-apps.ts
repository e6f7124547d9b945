/** The apps bench/instructions.ts has both contenders serve (--app). */
import { HELLO } from './lib.js';

/**
 * The app both contenders serve, as CommonJS (the raw cluster script) and as the ESM module tsgid
 * loads: a bare handler, or Express answering the same route (an app that, unlike a bare handler,
 * makes V8 meet many kinds of EventEmitter in any server: see BENCHMARKS.md).
 */
export const APPS = {
  hello: { cjs: `const app = (req, res) => res.end('hello world');`, esm: HELLO },
  express: {
    cjs: `const app = require('express')(); app.get('/', (req, res) => res.send('hello world'));`,
    esm: `import express from 'express';\nconst app = express();\napp.get('/', (req, res) => res.send('hello world'));\nexport default app;\n`,
  },
  // a fetch-style app: on raw cluster through @hono/node-server (what Hono's docs run on Node), under tsgid as it is
  hono: {
    cjs: `const { Hono } = require('hono'); const h = new Hono(); h.get('/', (c) => c.text('hello world')); const app = require('@hono/node-server').getRequestListener(h.fetch);`,
    esm: `import { Hono } from 'hono';\nconst app = new Hono();\napp.get('/', (c) => c.text('hello world'));\nexport default app;\n`,
  },
} as const;
export const TITLES = { hello: 'hello world', express: 'Express hello world', hono: 'Hono hello world (raw cluster: @hono/node-server)' } as const;
