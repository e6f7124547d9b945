/**
 * Which TypeScript loader an app gets: an app whose tsconfig is Node's type-stripping recipe gets
 * Node's own stripping where Node has it, even with tsx installed (a lighter worker); any other
 * app keeps tsx. Planning only: nothing is registered in this process.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { planTypeScript, writtenForStripping } from '../daemon/worker/ts-loader.js';

const RECIPE = {
  module: 'nodenext',
  erasableSyntaxOnly: true,
  verbatimModuleSyntax: true,
  rewriteRelativeImportExtensions: true,
};

function app(compilerOptions: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-ts-plan-'));
  writeFileSync(join(dir, 'tsconfig.json'), `// the app's\n${JSON.stringify({ ...extra, compilerOptions }, null, 2)}\n`);
  return dir;
}

describe('writtenForStripping', () => {
  it('takes Node\'s recipe, also from a tsconfig it extends', { timeout: 10_000 }, () => {
    assert.equal(writtenForStripping(join(app(RECIPE), 'tsconfig.json')), true);
    assert.equal(writtenForStripping(join(app({ ...RECIPE, rewriteRelativeImportExtensions: undefined, allowImportingTsExtensions: true, noEmit: true }), 'tsconfig.json')), true);
    const base = app(RECIPE);
    const child = app({ strict: true }, { extends: join(base, 'tsconfig.json') });
    // `extends` is followed for local paths only (./ or ../), as emitDecoratorMetadata's check is
    const relative = app({ strict: true }, { extends: `../${base.split('/').at(-1)}/tsconfig.json` });
    assert.equal(writtenForStripping(join(child, 'tsconfig.json')), false);
    assert.equal(writtenForStripping(join(relative, 'tsconfig.json')), true);
  });

  it('refuses a tsconfig that lets through what Node cannot run', { timeout: 10_000 }, () => {
    for (const [what, options] of [
      ['enums allowed', { ...RECIPE, erasableSyntaxOnly: false }],
      ['type imports unmarked', { ...RECIPE, verbatimModuleSyntax: undefined }],
      ['imports without .ts', { ...RECIPE, rewriteRelativeImportExtensions: undefined }],
      ['bundler resolution', { ...RECIPE, module: 'esnext', moduleResolution: 'bundler' }],
      ['paths', { ...RECIPE, paths: { '@/*': ['./src/*'] } }],
      ['JSX', { ...RECIPE, jsx: 'react-jsx' }],
    ] as const) {
      assert.equal(writtenForStripping(join(app(options), 'tsconfig.json')), false, what);
    }
  });
});

describe('planTypeScript', () => {
  const strips = Boolean((process.features as { typescript?: unknown }).typescript);

  it(`gives a recipe app ${strips ? "Node's own stripping" : 'tsx (this Node does not strip types)'} although tsx is installed`, { timeout: 10_000 }, () => {
    assert.equal(planTypeScript(app(RECIPE)).mode, strips ? 'native' : 'tsx');
  });

  it('keeps tsx for any other app', { timeout: 10_000 }, () => {
    assert.equal(planTypeScript(app({ strict: true, module: 'nodenext' })).mode, 'tsx');
  });
});
