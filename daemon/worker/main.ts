/**
 * A worker process: load the app, take the connections the arbiter hands over, heartbeat, drain.
 *
 * The worker's http.Server never listens: the arbiter accepts on the socket it holds and sends
 * each connection here over IPC, where it enters the server exactly as a connection accepted by
 * the server itself would (node:cluster's round-robin workers do the same). With TLS the server
 * is an https or HTTP/2 one, which does the handshake on the raw socket (app-server.ts).
 */
import { futimesSync } from 'node:fs';
import http from 'node:http';
import net, { type Socket } from 'node:net';
import { TsgiError } from '../errors.js';
import { EXIT_APP_LOAD_ERROR, type ArbiterMessage, type WorkerMessage, type WorkerSpec } from '../protocol.js';
import { applyLimits, requestGuard, upgradeGuard } from './limits.js';
import { createAppServer, type AppServer } from './app-server.js';
import { loadHostedApp, type HostedApp } from './load-app.js';
import { loadBackground } from './background.js';
import { listenPlanFromEnv } from './intercept-listen.js';
import { makeRoom } from './connection-limit.js';
import { wireUpgrades } from './upgrades.js';
import { counts, durationSum, requestClosed } from './request-metrics.js';
import { connectionClosed, drainResponses, onResponseClosed, responsesInFlight, takeResponse } from './tsgi-response.js';
import { isHttp2 } from './refuse.js';
import { createAccessLog } from './access-log.js';
import { nowMs } from './clock.js';
import { startOrphanWatchdog } from './orphan-watchdog.js';
import { stickySessions } from './sticky-session.js';

/** After the arbiter is gone, a worker has this long to finish before it exits anyway. */
const ORPHAN_GRACE_MS = 1000;
/**
 * …and the watchdog thread kills it this long after noticing (up to 200 ms late), even when its
 * event loop is stuck: gone within 1.5 s of tsgid's death (README).
 */
const ORPHAN_KILL_MS = 1000;

const spec = JSON.parse(process.env.TSGI_WORKER_SPEC ?? 'null') as WorkerSpec | null;
if (spec === null || typeof process.send !== 'function') {
  process.stderr.write('tsgi worker: started without TSGI_WORKER_SPEC and an IPC channel; tsgid starts workers, not users\n');
  process.exit(2);
}
delete process.env.TSGI_WORKER_SPEC;
// before the app loads, so every file it creates gets the mask
process.umask(spec.umask);
startOrphanWatchdog(ORPHAN_KILL_MS);

const limits = spec.limits;
let hosted: HostedApp | undefined;
let server: http.Server | undefined;
let appServer: AppServer | undefined;
/**
 * Where this worker is in its life, one way only: booting (loading the app) → serving (told the
 * arbiter it is ready) → draining (told to go: finishing what is in flight) → exiting (onShutdown,
 * the last heartbeat, exit). A drain may come while booting: then it never serves.
 */
let phase: 'booting' | 'serving' | 'draining' | 'exiting' = 'booting';
let requests = 0;
/** HTTP/2 streams in flight; HTTP/1 responses are counted by tsgi-response.ts */
let otherInflight = 0;
let connections = 0;
/**
 * Responses in flight and when each started (nowMs(), clock.ts), for request_timeout's sweep:
 * every response while request_timeout is on, else only HTTP/2 streams (Http2ServerResponse),
 * which tsgi-response.ts does not count. (Every HTTP/1 response says Connection: close during a
 * drain through the hook on ServerResponse.prototype; HTTP/2 sessions get a GOAWAY.)
 */
const open = new Map<http.ServerResponse, number>();
const trackAll = limits.requestTimeout > 0;
const guard = requestGuard(limits, open, callApp);
const maxRequests = spec.maxRequests;
if (trackAll) onResponseClosed((res) => open.delete(res));
/** only when the app has an access_log: otherwise nothing is added to a request's path */
const accessLog = spec.accessLog === undefined ? undefined : createAccessLog(spec.accessLog, spec.app, spec.workerId);
/** only for `balance: sticky` apps */
const sticky = spec.sticky === true ? stickySessions((sid, sent) => sendThen({ t: 'sid', sid }, sent)) : undefined;

function send(msg: WorkerMessage): void {
  if (process.connected) process.send!(msg);
}

/** `then` once the message is written to the channel (after all sent before it), or at once when there is none */
function sendThen(msg: WorkerMessage, then: () => void): void {
  if (!process.connected) return then();
  process.send!(msg, undefined, {}, () => then());
}

// Ctrl-C in a terminal reaches the whole process group; the arbiter decides how workers stop.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => drain(spec.gracefulTimeout));
// The arbiter died (even by SIGKILL): its end of the channel closed. Never outlive it.
process.on('disconnect', () => drain(ORPHAN_GRACE_MS));
// Writes to the arbiter's pipes fail once it is gone; the disconnect above handles that.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

process.on('message', (msg: ArbiterMessage, handle?: unknown) => {
  if (msg.t === 'conn' && handle !== undefined) {
    accept(socketFor(handle), msg.head);
    // Node's child_process has already acknowledged the handle itself, which is what the arbiter waits for
    if (reportConnections) acknowledge(msg.id);
  }
  else if (msg.t === 'drain') drain(spec.gracefulTimeout);
});

const reportConnections = spec.reportConnections === true;
let acks: number[] = [];

/** One message per event-loop turn, however many connections arrived in it. */
function acknowledge(id: number): void {
  if (acks.length === 0) setImmediate(flushAcks);
  acks.push(id);
}

function flushAcks(): void {
  // with its open connections, fresher than the heartbeat's, for balance: least-connections
  send({ t: 'got', ids: acks, connections });
  acks = [];
}

/**
 * The arbiter sends each connection as Node's bare TCP or Pipe handle (sockets.ts); this makes it
 * the Socket that Node's own accept would make (child_process does the same for a sent Socket).
 */
function socketFor(handle: unknown): Socket {
  return new net.Socket({ handle, readable: true, writable: true } as net.SocketConstructorOpts);
}

/** `head`: what the arbiter already read of the connection (base64, sticky apps), parsed before the rest */
function accept(socket: Socket, head?: string): void {
  if (server === undefined) {
    socket.destroy();
    return;
  }
  if (connections >= limits.maxConnections && !makeRoom(limits, spec!.tls !== undefined, socket)) return;
  connections++;
  // a socket closes once: on() spares once()'s wrapper per connection
  socket.on('close', onSocketClose);
  // net's own accept path sets TCP_NODELAY (http's noDelay default); a socket that came over IPC
  // skips it, and Nagle's algorithm would hold back small responses
  socket.setNoDelay(true);
  server.emit('connection', socket);
  // as @socket.io/sticky's workers do: the parser reads these bytes first, then the stream. The
  // Socket reads from its handle from its construction on (no pauseOnCreate), as one accepted by
  // net itself does: nothing to resume.
  if (head !== undefined) socket.emit('data', Buffer.from(head, 'base64'));
}

function onSocketClose(this: Socket): void {
  connections--;
  connectionClosed(this);
  if (phase === 'draining' && connections === 0) void exitAfterShutdown();
}

function onTlsClose(this: Socket): void {
  connectionClosed(this);
}

function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (++requests === maxRequests) send({ t: 'retire', reason: 'max_requests' });
  // an HTTP/1 parser's request, even one whose request line claims another version (refused below)
  if (req.httpVersionMajor === 1 || !isHttp2(req)) {
    const started = takeResponse(res);
    if (trackAll) open.set(res, started);
  } else {
    otherInflight++;
    open.set(res, nowMs());
    // 'close' comes once per response; on() spares once()'s per-request wrapper
    res.on('close', onOtherResponseClose);
  }
  if (accessLog !== undefined) accessLog.record(req, res);
  if (guard(req, res)) return;
  hosted!.handler(req, res);
}

function callApp(req: http.IncomingMessage, res: http.ServerResponse): void {
  hosted!.handler(req, res);
}

function onOtherResponseClose(this: http.ServerResponse): void {
  otherInflight--;
  requestClosed(this, open.get(this)!);
  open.delete(this);
}

/** Responses the app's handler has and has not finished. */
function inflightNow(): number {
  return otherInflight + responsesInFlight();
}

async function boot(): Promise<void> {
  try {
    if (spec!.background) {
      // no server: the module runs on its own, and `server` stays undefined (a drain goes straight to onShutdown)
      hosted = await loadBackground(spec!.cwd, spec!.module!);
      await hosted.onStart(undefined as never);
    } else {
      await bootServer();
    }
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const cause = e.cause instanceof Error ? e.cause : undefined;
    // the code leads the message, so it reaches status and the API as last_boot_error (docs/TSGI.md §6)
    const code = e instanceof TsgiError ? e.code : 'TSGI_ERR_APP_BOOT';
    send({ t: 'boot-error', message: `${code}: ${e.message}`, stack: cause?.stack ?? e.stack });
    process.exitCode = EXIT_APP_LOAD_ERROR;
    // let the message reach the arbiter before going
    setTimeout(() => process.exit(EXIT_APP_LOAD_ERROR), 50);
    return;
  }
  if (phase !== 'booting') return;
  phase = 'serving';
  send({ t: 'ready' });
  const beat = setInterval(heartbeat, spec!.heartbeatInterval);
  beat.unref();
}

async function bootServer(): Promise<void> {
  hosted = await loadHostedApp({ cwd: spec!.cwd, module: spec!.module, mounts: spec!.mounts, interface: spec!.interface, listen: listenPlanFromEnv() });
  if (spec!.tlsError !== undefined) throw new Error(spec!.tlsError);
  appServer = createAppServer(spec!.tls, limits, onRequest);
  const s = appServer.server;
  applyLimits(s, limits);
  // over TLS the HTTP parser reads the TLS socket, which carries the response (connectionClosed)
  if (spec!.tls !== undefined) s.on('secureConnection', (tls: Socket) => tls.on('close', onTlsClose));
  await hosted.onStart(s);
  // first of all 'request' listeners: engine.io's, added in onStart, answers its requests itself
  if (sticky !== undefined) s.prependListener('request', sticky);
  wireUpgrades(s, hosted.upgrade, onRequest, upgradeGuard(limits));
  server = s;
}

let sent = { requests: -1, inflight: -1, connections: -1, closed: -1, at: 0 };

/** the arbiter's alive file (os/alive-file.ts), while touching it works */
let aliveFd = spec.aliveFd;

/**
 * Counters when they changed; otherwise a touch of the alive file, which wakes nobody (the arbiter
 * reads it only when this worker's last message is older than `timeout`), or, without one, a bare
 * "alive" at least every heartbeatMax.
 */
function heartbeat(): void {
  const now = Date.now();
  // responses closed: a 400 Node answers by itself is counted but is no request of the app's
  let closed = 0;
  for (const n of counts.buckets) closed += n;
  const inflight = inflightNow();
  if (requests === sent.requests && inflight === sent.inflight && connections === sent.connections && closed === sent.closed) {
    if (aliveFd !== undefined && touch(aliveFd, now)) return;
    if (now - sent.at < spec!.heartbeatMax) return;
  }
  sent = { requests, inflight, connections, closed, at: now };
  send(beatMessage());
}

function touch(fd: number, now: number): boolean {
  try {
    futimesSync(fd, now / 1000, now / 1000);
    return true;
  } catch {
    // bare heartbeats from now on
    aliveFd = undefined;
    return false;
  }
}

function beatMessage(): WorkerMessage {
  return { t: 'hb', requests, inflight: inflightNow(), connections, codes: counts.codes, buckets: counts.buckets, sum: durationSum() };
}

/** The last counts before exiting, so the app's totals miss nothing served since the last heartbeat. */
function exitWithLastBeat(): void {
  if (!process.connected) process.exit(0);
  process.send!(beatMessage(), () => process.exit(0));
  // a channel that does not take the message must not keep the worker alive
  setTimeout(() => process.exit(0), 500);
}

function drain(limit: number): void {
  if (phase === 'draining' || phase === 'exiting') return;
  phase = 'draining';
  // HTTP/1 responses in flight (and any later) say Connection: close when their head goes out
  drainResponses();
  appServer?.closeSessions();
  // Upgraded connections (WebSockets) are the app's to close: its onDrain() is the moment.
  hosted?.onDrain().catch((err: unknown) => process.stderr.write(`onDrain failed: ${err instanceof Error ? err.stack : String(err)}\n`));
  // Idle keep-alive connections are not closed here: one closed this instant may be carrying the
  // client's next request (a reset for it, seen on a loaded machine). Every further response says
  // Connection: close, and a connection that stays idle goes at its keep-alive timeout, the one
  // race HTTP/1.1 clients are built to expect.
  const deadline = setTimeout(exitWithLastBeat, limit);
  deadline.unref();
  if (server === undefined || connections === 0) void exitAfterShutdown();
}

async function exitAfterShutdown(): Promise<void> {
  if (phase === 'exiting') return;
  phase = 'exiting';
  try {
    await hosted?.onShutdown();
  } catch (err) {
    process.stderr.write(`onShutdown failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  }
  await accessLog?.flush();
  exitWithLastBeat();
}

void boot();
