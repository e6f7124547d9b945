/**
 * docs/errors.md from the catalog in errors.ts: `node dist/daemon/write-errors-doc.js` writes it;
 * test/errors-catalog.test.ts fails when the two differ.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERRORS } from './errors.js';

export function renderErrorsDoc(): string {
  const rows = Object.entries(ERRORS).map(([code, e]) => `| \`${code}\` | ${e.status} | ${e.exit} | ${e.description} |`);
  return `# Error codes

Every failure tsgid, its admin API and tsgictl report carries one of these codes. The admin API answers
\`{ "error": { "code": "TSGI_ERR_…", "message": "…" } }\` with the HTTP status below; tsgictl exits with
the exit status below (0 ok, 1 the action failed, 2 usage or invalid input, 3 the daemon cannot be reached).
tsgid itself exits 2 on a bad configuration.

Generated from \`daemon/errors.ts\` by \`npm run docs\`.

| code | HTTP | exit | meaning |
|---|---|---|---|
${rows.join('\n')}
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('../../docs/errors.md', import.meta.url), renderErrorsDoc());
}
