/**
 * A steady keep-alive load from N concurrent clients, each sending its next request as soon as
 * the previous one is answered, until stopped. Every outcome is counted, so a test can assert
 * that nothing failed while the server was reloaded underneath.
 */
import http from 'node:http';

export interface LoadResult {
  ok: number;
  failed: number;
  errors: string[];
  /** distinct x-pid headers (or bodies) seen, in order of first sight */
  pids: string[];
}

export function keepAliveLoad(url: string, connections = 20): { stop(): Promise<LoadResult>; result: LoadResult } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const result: LoadResult = { ok: 0, failed: 0, errors: [], pids: [] };
  const seen = new Set<string>();
  let running = true;

  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const req = http.get(url, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          if (res.statusCode === 200) result.ok++;
          else {
            result.failed++;
            result.errors.push(`HTTP ${res.statusCode}: ${body.slice(0, 200)}`);
          }
          const pid = String(res.headers['x-pid'] ?? body);
          if (!seen.has(pid)) {
            seen.add(pid);
            result.pids.push(pid);
          }
          resolve();
        });
        res.on('error', (err) => {
          result.failed++;
          result.errors.push(err.message);
          resolve();
        });
      });
      req.on('error', (err) => {
        result.failed++;
        result.errors.push((err as NodeJS.ErrnoException).code ?? err.message);
        resolve();
      });
    });

  const loops = Array.from({ length: connections }, async () => {
    while (running) await once();
  });
  return {
    result,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return result;
    },
  };
}
