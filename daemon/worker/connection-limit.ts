/**
 * A worker at max_connections. The limit is per worker, not per client address: behind nginx or
 * a load balancer every client has the proxy's address, and a cap per address would be a cap on
 * the app. What keeps one client from filling it is that the connections it holds must move:
 * header_timeout cuts a slow head, min_body_rate a slow body, keepalive an idle connection; and
 * while the worker is full, a connection whose body has been too slow for 250ms is closed to
 * make room for the new one rather than making it wait out its grace period (nginx, short of
 * connections, likewise closes idle keep-alive ones). Only with none such is the new connection
 * refused. Being full is logged, at most once every 10 s, with what it cost.
 */
import type { Socket } from 'node:net';
import type { WorkerLimits } from '../protocol.js';
import { reclaimSlowBody } from './body-rate.js';
import { refuseConnection } from './refuse.js';

const REPORT_EVERY_MS = 10_000;

let reclaimed = 0;
let refused = 0;
let reportDue = false;

/** The worker is full and `socket` arrived: true when a place was made for it, false when it was refused here. */
export function makeRoom(limits: WorkerLimits, tls: boolean, socket: Socket): boolean {
  const room = limits.minBodyRate > 0 && reclaimSlowBody(limits.minBodyRate);
  if (room) reclaimed++;
  else {
    refused++;
    refuseConnection(socket, tls);
  }
  if (!reportDue) {
    reportDue = true;
    report(limits.maxConnections);
  }
  return room;
}

function report(max: number): void {
  const what = [refused > 0 && `${refused} new connection${refused === 1 ? '' : 's'} refused`, reclaimed > 0 && `${reclaimed} connection${reclaimed === 1 ? '' : 's'} with a body slower than min_body_rate closed to make room`].filter(Boolean).join(', ');
  process.stderr.write(`tsgi: worker at max_connections (${max}): ${what}\n`);
  reclaimed = 0;
  refused = 0;
  setTimeout(again, REPORT_EVERY_MS, max).unref();
}

function again(max: number): void {
  if (reclaimed === 0 && refused === 0) reportDue = false;
  else report(max);
}
