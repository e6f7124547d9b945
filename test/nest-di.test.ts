/**
 * A NestJS app (module, controller, injected service) run from TypeScript with no build step:
 * its tsconfig sets emitDecoratorMetadata, so the worker compiles it with SWC, and constructor
 * injection (which reads design:paramtypes) works. Under tsx or Node's type stripping the same
 * route answers 500.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { emitsDecoratorMetadata } from '../daemon/worker/ts-loader.js';
import { FIXTURES, get, startDaemon, type Daemon } from './helpers/daemon.js';

const NEST = join(FIXTURES, 'nest-app');

describe('NestJS with constructor injection, no build step', { timeout: 120_000 }, () => {
  let d: Daemon | undefined;
  before(async () => {
    d = await startDaemon(
      `
apps:
  nest:
    app: ./src/main.ts:make()
    cwd: ${JSON.stringify(NEST)}
    listen: "127.0.0.1:0"
    workers: 1
    boot_timeout: 90s
`,
    );
  });
  after(async () => {
    await d?.stop();
  });

  it('boots, and the injected service answers', async () => {
    const app = await d!.app('nest');
    assert.equal(app.state, 'running', d!.output());
    const url = await d!.url('nest');
    const plain = await get(`${url}/plain`);
    assert.equal(plain.body, 'plain');
    const greet = await get(`${url}/greet?name=ada`);
    assert.equal(greet.status, 200, greet.body);
    assert.equal((JSON.parse(greet.body) as { message: string }).message, 'hello ada');
  });

  it('reads emitDecoratorMetadata through comments and extends', () => {
    assert.equal(emitsDecoratorMetadata(join(NEST, 'tsconfig.json')), true);
    assert.equal(emitsDecoratorMetadata(join(FIXTURES, 'apps/ts-app/tsconfig.json')), false);
  });
});
