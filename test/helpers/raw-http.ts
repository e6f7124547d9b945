/** Exact bytes over a plain TCP connection, for tests of what a worker answers to malformed or hostile requests. */
import assert from 'node:assert/strict';
import net from 'node:net';

/** A guard against hanging, never something a test asserts. */
export const RAW_DEADLINE_MS = 15_000;

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

export function parseReply(text: string): Reply {
  const end = text.indexOf('\r\n\r\n');
  assert.ok(end > 0, `a complete response head, got ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body: text.slice(end + 4) };
}

/**
 * Sends exact bytes (each string one write) and reads until the server closes the connection;
 * resolves with the response it sent. The connection closing by itself is part of the check.
 */
export function exchange(url: string, ...parts: string[]): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(hostPort(url));
    let text = '';
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server did not close the connection; got ${JSON.stringify(text.slice(0, 200))}`));
    }, RAW_DEADLINE_MS);
    socket.setEncoding('latin1');
    socket.on('connect', () => {
      for (const p of parts) socket.write(p);
    });
    socket.on('data', (c: string) => (text += c));
    // a reset after the response was read (the client was still sending) changes nothing here
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(guard);
      try {
        resolve(parseReply(text));
      } catch (err) {
        reject(err);
      }
    });
  });
}
