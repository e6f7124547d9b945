/**
 * The "metrics cut out" contender of the metrics A/B (bench/ab.ts --metrics-off-baseline,
 * BENCHMARKS.md "Metrics cost"): this build's dist/ copied into a scratch folder, with its
 * node_modules linked, and the metrics work taken out of the copy's worker: requestClosed returns
 * at once, and a response's start time is 0 instead of a clock read. Everything else is this build,
 * byte for byte, so the A/B measures metrics and nothing else.
 *
 * Each edit is a string replacement that must match exactly once: when the build no longer has the
 * pattern, this throws rather than measure a copy that still counts. (With the start time at 0,
 * request_timeout must stay off in the copy, as ab.ts's config leaves it.)
 */
import { join } from 'node:path';
import { copyBuild, patchOnce } from './build-copy.js';

/** Workers run the bundle (npm run build), so the edits go there. */
const BUNDLE = 'dist/daemon/worker/bundle.js';
const PATCHES: Array<{ file: string; from: string; to: string }> = [
  { file: BUNDLE, from: 'function requestClosed(res, started) {\n', to: 'function requestClosed(res, started) {\n  return;\n' },
  { file: BUNDLE, from: 'function takeResponse(res) {\n  const now = nowMs();\n', to: 'function takeResponse(res) {\n  const now = 0;\n' },
];

/** Builds the copy; returns its folder (its tsgid is `<folder>/dist/daemon/main.js`). */
export function metricsOffBuild(): string {
  const dir = copyBuild('metrics-off');
  for (const p of PATCHES) patchOnce(join(dir, p.file), p.from, p.to, 'bench/metrics-off-build.ts');
  return dir;
}
