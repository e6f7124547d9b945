/**
 * Readiness, as a load balancer or a Kubernetes readiness probe needs it: may this tsgid be sent
 * traffic? Liveness (/v1/health) is a different question: a daemon whose app failed is alive.
 */
import type { AppStatus } from '../pool/app-pool.js';

export interface Readiness {
  ready: boolean;
  /** one line per thing that is not ready; empty when ready */
  reasons: string[];
}

/** What readiness reads of an app's status. */
export type AppReadiness = Pick<AppStatus, 'name' | 'state' | 'target' | 'ready' | 'failed_reason'>;

export function readiness(apps: readonly AppReadiness[], shuttingDown: boolean): Readiness {
  const reasons: string[] = [];
  if (shuttingDown) reasons.push('tsgid is shutting down');
  for (const app of apps) {
    // an app stopped on purpose (tsgictl stop) is what the operator asked for: it holds nothing up
    if (app.state === 'stopped' || app.state === 'stopping') continue;
    if (app.state === 'failed') reasons.push(`${app.name}: failed: ${app.failed_reason ?? 'unknown reason'}`);
    else if (app.ready < app.target) reasons.push(`${app.name}: ${app.ready} of ${app.target} workers ready (${app.state})`);
  }
  return { ready: reasons.length === 0, reasons };
}
