// docs/config.md is generated from settings.ts; this fails when someone forgets to regenerate it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { appSection, topSection } from '../daemon/config/index.js';
import { renderConfigDocs } from '../daemon/config/write-docs.js';

test('docs/config.md is up to date (npm run build && npm run docs)', () => {
  const onDisk = readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8');
  assert.equal(onDisk, renderConfigDocs());
});

test('the docs have a row for every setting', () => {
  const docs = renderConfigDocs();
  const keys = (fields: object, prefix = ''): string[] =>
    Object.entries(fields).flatMap(([k, f]: [string, { is: string; fields?: object }]) => (f.is === 'section' ? keys(f.fields ?? {}, `${prefix}${k}.`) : [`${prefix}${k}`]));
  for (const key of [...keys(topSection.fields), ...keys(appSection.fields)]) assert.match(docs, new RegExp(`^\\| \`${key.replace('.', '\\.')}\` \\|`, 'm'), key);
});
