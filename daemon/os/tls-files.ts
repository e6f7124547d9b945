/**
 * An app's TLS files, read by the arbiter each time it spawns a worker and passed in the
 * worker's spec (never written anywhere else): a renewed certificate reaches new workers
 * through `tsgictl reload`, with no restart of the daemon and no dropped connection.
 */
import { readFileSync } from 'node:fs';
import type { WorkerTls } from '../protocol.js';

interface TlsSettings {
  certfile?: string;
  keyfile?: string;
  ca_certs?: string;
  ciphers?: string;
  http2: boolean;
}

/** The spec fields for `c`: `tls`, or `tlsError` naming the file that could not be read (the worker reports it as a boot error). */
export function workerTls(c: TlsSettings): { tls?: WorkerTls; tlsError?: string } {
  if (c.certfile === undefined || c.keyfile === undefined) return {};
  try {
    return {
      tls: {
        cert: readFileSync(c.certfile, 'utf8'),
        key: readFileSync(c.keyfile, 'utf8'),
        ...(c.ca_certs !== undefined && { ca: readFileSync(c.ca_certs, 'utf8') }),
        ...(c.ciphers !== undefined && { ciphers: c.ciphers }),
        http2: c.http2,
      },
    };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { tlsError: `cannot read TLS file ${e.path ?? ''}: ${e.code ?? e.message}` };
  }
}
