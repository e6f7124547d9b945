/**
 * The worker's half of `balance: sticky` (pool/balance/sticky.ts). For engine.io requests only (an
 * `EIO=` query): a handshake's answer names the new session (`{"sid":"…"}` in its first bytes),
 * and the arbiter is told before those bytes leave, so the client's next request, which names the
 * session, is sent here. Every engine.io response closes its connection: the arbiter routes a
 * connection by its first request, and a kept-alive one could carry a request of another session
 * next (a browser's shared pool, a proxy's upstream keep-alive). Other requests are not touched.
 */
import type http from 'node:http';

const HAS_SID = /[?&]sid=/;
const SID_IN_BODY = /"sid":"([A-Za-z0-9_-]{1,64})"/;
/** the handshake packet is short; its sid is in the first bytes */
const LOOK_AT = 512;

type Write = (chunk?: unknown, ...rest: unknown[]) => unknown;

export function stickySessions(tell: (sid: string) => void): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    const url = req.url;
    if (url === undefined || !url.includes('EIO=')) return;
    res.setHeader('Connection', 'close');
    if (HAS_SID.test(url)) return;
    const r = res as unknown as { write: Write; end: Write };
    const write = r.write;
    const end = r.end;
    const look = (chunk: unknown): void => {
      r.write = write;
      r.end = end;
      const text = typeof chunk === 'string' ? chunk.slice(0, LOOK_AT) : Buffer.isBuffer(chunk) ? chunk.toString('latin1', 0, LOOK_AT) : undefined;
      const sid = text === undefined ? undefined : SID_IN_BODY.exec(text)?.[1];
      if (sid !== undefined) tell(sid);
    };
    r.write = function (this: unknown, chunk?: unknown, ...rest: unknown[]) {
      look(chunk);
      return write.call(this, chunk, ...rest);
    };
    r.end = function (this: unknown, chunk?: unknown, ...rest: unknown[]) {
      look(chunk);
      return end.call(this, chunk, ...rest);
    };
  };
}
