/**
 * The Node.js tsgid runs on must be one package.json's `engines` allows, checked at start: an
 * older one fails later and less clearly (a TypeScript app's workers die at boot, as tsx needs
 * module.register(), which came in Node 20.6).
 */
import { TsgiError } from './errors.js';

/** `range` is `>=X.Y.Z`, the one form tsgi's package.json uses (a test keeps it so). */
export function checkNodeVersion(version: string, range: string): void {
  const min = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(range);
  const have = /^v(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (min === null || have === null) throw new Error(`cannot compare Node.js ${version} with engines.node "${range}"`);
  for (let i = 1; i <= 3; i++) {
    const diff = Number(have[i]) - Number(min[i]);
    if (diff > 0) return;
    if (diff < 0) throw new TsgiError('TSGI_ERR_DAEMON_NODE_VERSION', `tsgi needs Node.js ${range.slice(2)} or later (engines.node "${range}" in its package.json); this is Node.js ${version}`);
  }
}
