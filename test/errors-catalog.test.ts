/** The error catalog, its docs page and the codes the code uses stay in step. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ERRORS, TsgiError } from '../daemon/errors.js';
import { renderErrorsDoc } from '../daemon/write-errors-doc.js';
import { ROOT } from './helpers/daemon.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('error catalog', () => {
  it('docs/errors.md is generated from the catalog', () => {
    assert.equal(readFileSync(join(ROOT, 'docs/errors.md'), 'utf8'), renderErrorsDoc());
  });

  it('every code named in the source is in the catalog', () => {
    const used = new Set<string>();
    for (const dir of ['daemon', 'api', 'cli']) {
      for (const file of sources(join(ROOT, dir))) {
        for (const m of readFileSync(file, 'utf8').matchAll(/TSGI_ERR_[A-Z]+_[A-Z_]*[A-Z]/g)) used.add(m[0]);
      }
    }
    const unknown = [...used].filter((c) => !(c in ERRORS));
    assert.deepEqual(unknown, []);
  });

  it('codes follow TSGI_ERR_AREA_WHAT and map to a status and an exit code', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      assert.match(code, /^TSGI_ERR_[A-Z]+_[A-Z_]+$/);
      assert.ok(spec.status >= 400 && spec.status < 600, code);
      assert.ok([1, 2, 3].includes(spec.exit), code);
    }
  });

  it('a TsgiError serialises to the API error body', () => {
    const err = new TsgiError('TSGI_ERR_APP_NOT_FOUND', 'no app named "x"');
    assert.deepEqual(JSON.parse(JSON.stringify(err)), { error: { code: 'TSGI_ERR_APP_NOT_FOUND', message: 'no app named "x"' } });
    assert.equal(err.status, 404);
  });
});
