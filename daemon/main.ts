#!/usr/bin/env node
/**
 * tsgid's entry. V8's run-time flags are set before the daemon's modules are loaded, not only
 * before they are evaluated: resolving and linking its ~120 static imports is work enough for V8
 * to optimize Node's own loader code, which the flags are there to prevent (start-tiering.ts).
 * Hence the daemon itself (tsgid.ts) is a dynamic import.
 */
import './young-generation.js';
import './start-tiering.js';

await import('./tsgid.js');
