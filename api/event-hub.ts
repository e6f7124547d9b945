/**
 * The daemon's live feed for GET /v1/events, shared by every client (the dashboard, tsgictl top):
 * one listener on the arbiter's events and one stats timer however many clients there are, and
 * none at all while nobody listens. Each event is serialised once and written to every client.
 */
import type { WorkerEvent } from '../daemon/pool/worker-record.js';
import { daemonView } from './app-view.js';
import type { Control } from './control.js';

export interface EventClient {
  /** one or more whole SSE frames */
  send(chunk: string): void;
  /** the hub is closing (tsgid stops): end the response */
  end(): void;
}

export interface EventHubOptions {
  /** how often the `stats` event goes out (default 1 s: the dashboard's rps sparkline resolution) */
  statsMs?: number;
  /** how often a `: ping` comment keeps proxies and idle-timeouts from closing the stream (default 15 s) */
  pingMs?: number;
}

export class EventHub {
  private readonly clients = new Set<EventClient>();
  private statsTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private readonly statsMs: number;
  private readonly pingMs: number;
  private readonly onWorker = (e: WorkerEvent): void => this.broadcast(frame('worker', e));
  /** an admin action (api/audit.ts), so a dashboard shows who did what */
  private readonly onAudit = (e: unknown): void => this.broadcast(frame('audit', e));

  constructor(
    private readonly control: Control,
    options: EventHubOptions = {},
  ) {
    this.statsMs = options.statsMs ?? 1000;
    this.pingMs = options.pingMs ?? 15_000;
  }

  get size(): number {
    return this.clients.size;
  }

  /** Sends the snapshot at once, then every event; returns the unsubscribe (safe to call twice). */
  subscribe(client: EventClient): () => void {
    client.send(frame('snapshot', daemonView(this.control)));
    if (this.clients.size === 0) this.open();
    this.clients.add(client);
    return () => {
      if (!this.clients.delete(client)) return;
      if (this.clients.size === 0) this.shut();
    };
  }

  /** End every stream, so that closing the admin API does not wait on clients that never hang up. */
  close(): void {
    const clients = [...this.clients];
    this.clients.clear();
    this.shut();
    for (const c of clients) c.end();
  }

  private open(): void {
    this.control.events.on('worker', this.onWorker);
    this.control.events.on('audit', this.onAudit);
    this.statsTimer = setInterval(() => this.broadcast(frame('stats', this.control.status())), this.statsMs).unref();
    this.pingTimer = setInterval(() => this.broadcast(': ping\n\n'), this.pingMs).unref();
  }

  private shut(): void {
    this.control.events.off('worker', this.onWorker);
    this.control.events.off('audit', this.onAudit);
    clearInterval(this.statsTimer);
    clearInterval(this.pingTimer);
  }

  private broadcast(chunk: string): void {
    for (const c of this.clients) c.send(chunk);
  }
}

/** One SSE frame. JSON.stringify never emits a raw newline, so one `data:` line holds it all. */
export function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
