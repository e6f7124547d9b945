/** tsgi's package.json, for the version (`tsgictl version`, the OpenAPI document, `tsgid -v`) and the Node it needs; read once, on demand. */
import { readFileSync } from 'node:fs';

interface PackageJson {
  version: string;
  engines: { node: string };
}

let cached: PackageJson | undefined;

export function packageJson(): PackageJson {
  // dist/api/version.js → package.json at the root
  cached ??= JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as PackageJson;
  return cached;
}

export function packageVersion(): string {
  return packageJson().version;
}
