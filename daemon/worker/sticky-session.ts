/**
 * The worker's half of `balance: sticky` (pool/balance/sticky.ts). For engine.io requests only (an
 * `EIO=` query): a handshake's answer names the new session (`{"sid":"…"}` in its first bytes),
 * and the arbiter is told before those bytes leave: the answer is held until the `sid` message
 * has been written to the arbiter's channel (`tell`'s `sent`). The client's next request, which
 * names the session, can then only reach the arbiter after that message, even when the channel
 * is busy (adapter messages, access-log batches queued ahead of it), so the arbiter never waits
 * for it. Every engine.io response closes its connection: the arbiter routes a connection by its
 * first request, and a kept-alive one could carry a request of another session next (a browser's
 * shared pool, a proxy's upstream keep-alive). Other requests are not touched.
 */
import type http from 'node:http';

const HAS_SID = /[?&]sid=/;
const SID_IN_BODY = /"sid":"([A-Za-z0-9_-]{1,64})"/;
/** the handshake packet is short; its sid is in the first bytes */
const LOOK_AT = 512;

type Write = (this: unknown, chunk?: unknown, ...rest: unknown[]) => unknown;

/** `tell(sid, sent)`: send the arbiter the `sid` message, and call `sent` once it has left (or cannot) */
export type Tell = (sid: string, sent: () => void) => void;

function sidIn(chunk: unknown): string | undefined {
  const text = typeof chunk === 'string' ? chunk.slice(0, LOOK_AT) : Buffer.isBuffer(chunk) ? chunk.toString('latin1', 0, LOOK_AT) : undefined;
  return text === undefined ? undefined : SID_IN_BODY.exec(text)?.[1];
}

export function stickySessions(tell: Tell): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    const url = req.url;
    if (url === undefined || !url.includes('EIO=')) return;
    res.setHeader('Connection', 'close');
    if (HAS_SID.test(url)) return;
    const r = res as unknown as { write: Write; end: Write };
    const write = r.write;
    const end = r.end;
    /** the calls made while the arbiter is being told, replayed in order once it has been */
    let held: Array<() => void> | undefined;
    const hook = (fn: Write, answer: (self: unknown) => unknown): Write =>
      function (this: unknown, chunk?: unknown, ...rest: unknown[]) {
        const call = (): unknown => fn.call(this, chunk, ...rest);
        if (held !== undefined) {
          held.push(call);
          return answer(this);
        }
        // only the first chunk is looked at: a handshake's answer starts with its sid
        r.write = write;
        r.end = end;
        const sid = sidIn(chunk);
        if (sid === undefined) return call();
        held = [call];
        r.write = hook(write, () => true);
        r.end = hook(end, (self) => self);
        tell(sid, () => {
          const calls = held!;
          held = undefined;
          r.write = write;
          r.end = end;
          for (const c of calls) c();
        });
        return answer(this);
      };
    r.write = hook(write, () => true);
    r.end = hook(end, (self) => self);
  };
}
