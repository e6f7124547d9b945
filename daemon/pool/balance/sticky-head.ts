/**
 * For `balance: sticky` apps only: read the first request line of a new connection in the
 * arbiter, to find the engine.io session it names, as @socket.io/sticky's primary does. Bounded
 * in size (the request line, at most `limit_request_line`) and in time (`header_timeout`, 10s when
 * that is off): a client that sends no line in time is closed, not held; at most `backlog`
 * connections of one app are read at once, and more are closed. The bytes read go to the worker
 * with the handle (worker/main.ts puts them back in front of the stream), so the client loses
 * nothing. No other app's connection is ever read by the arbiter.
 */
import net from 'node:net';
import type { Connection } from '../../protocol.js';

export interface HeadBounds {
  /** bytes read at most, looking for the end of the request line */
  maxBytes: number;
  /** ms the client has to send it */
  timeoutMs: number;
  /** connections of this app read at once */
  maxReading: number;
}

/** `sid=` in the query of a request line, as engine.io's clients send it */
const SID = /[?&]sid=([A-Za-z0-9_-]{1,64})(?=[&\s#]|$)/;

/** The engine.io session a request line names, if any. */
export function sidOf(head: Buffer): string | undefined {
  const nl = head.indexOf(10);
  const line = head.toString('latin1', 0, nl === -1 ? head.length : nl);
  return SID.exec(line)?.[1];
}

interface BareStream extends Connection {
  readStop(): number;
}

export class HeadReader {
  private reading = 0;

  /**
   * Read until the request line is complete (or `maxBytes`), then `done(head)` with the bare
   * handle idle again. On a timeout, an error or an early close the connection is closed and
   * `done` is not called.
   */
  read(conn: Connection, bounds: HeadBounds, done: (head: Buffer) => void): void {
    if (this.reading >= bounds.maxReading) {
      conn.close();
      return;
    }
    this.reading++;
    const socket = new net.Socket({ handle: conn, readable: true, writable: true } as net.SocketConstructorOpts);
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const end = (): void => {
      over = true;
      this.reading--;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('end', fail);
      socket.removeListener('error', fail);
      socket.removeListener('timeout', fail);
    };
    const fail = (): void => {
      if (over) return;
      end();
      socket.on('error', () => {});
      socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (chunk.includes(10) || size >= bounds.maxBytes) finish();
    };
    const finish = (): void => {
      if (over) return;
      end();
      // stop reading at once (no read callback after this), then let go of the handle without
      // closing it, as child_process does with a Socket it sends; what the stream had buffered is kept
      (conn as BareStream).readStop();
      socket.pause();
      (socket as unknown as { _handle: unknown })._handle = null;
      for (let c = socket.read() as Buffer | null; c !== null; c = socket.read() as Buffer | null) chunks.push(c);
      socket.on('error', () => {});
      done(Buffer.concat(chunks));
    };
    const timer = setTimeout(fail, bounds.timeoutMs);
    socket.on('data', onData);
    socket.on('end', fail);
    socket.on('error', fail);
  }
}
