/** The package version, for `tsgictl version` and the OpenAPI document; read once, on demand. */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function packageVersion(): string {
  // dist/api/version.js → package.json at the root
  cached ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
