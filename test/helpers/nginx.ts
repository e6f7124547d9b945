/**
 * Start a real nginx in front of tsgid: its own prefix, config, pid file and logs in a temp dir,
 * in the foreground (`daemon off`), so the test owns the process and stops it by signal.
 * nginx cannot listen on port 0, so free ports are found by binding port 0 first and closing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

export const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'].find((p) => existsSync(p));

export interface Upstream {
  /** upstream block name, also the location prefix /<name>/ */
  name: string;
  /** `unix:/abs/path.sock` or `127.0.0.1:PORT`, as nginx's `server` directive takes it */
  server: string;
}

export interface Nginx {
  proc: ChildProcess;
  port: number;
  conf: string;
  /** http://127.0.0.1:PORT */
  base: string;
  errorLog(): string;
  stop(): Promise<void>;
}

/** A TCP port that was free a moment ago (nginx cannot bind port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * The recommended deployment (docs/deploy.md): each app an upstream with a small pool of kept-alive
 * connections, HTTP/1.1 to the upstream with the Connection header cleared, `location /<name>/`
 * proxying to it with the prefix stripped. `temp` is the prefix directory for everything nginx writes.
 */
export function nginxConf(temp: string, port: number, upstreams: Upstream[]): string {
  const blocks = upstreams
    .map(
      (u) => `    upstream ${u.name} {
        server ${u.server};
        keepalive 16;
        # close idle upstream connections before tsgi's keepalive (5s) does
        keepalive_timeout 4s;
    }`,
    )
    .join('\n');
  const locations = upstreams
    .map(
      (u) => `        location /${u.name}/ {
            proxy_pass http://${u.name}/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_connect_timeout 5s;
            proxy_send_timeout 60s;
            proxy_read_timeout 60s;
        }`,
    )
    .join('\n');
  // as root, nginx's workers would switch to "nobody", who cannot reach sockets in a 0700 temp dir
  const user = process.getuid?.() === 0 ? 'user root root;\n' : '';
  return `${user}worker_processes 1;
events {
    worker_connections 1024;
}
http {
    access_log off;
    client_body_temp_path ${join(temp, 'client_body')};
    proxy_temp_path ${join(temp, 'proxy')};
    fastcgi_temp_path ${join(temp, 'fastcgi')};
    uwsgi_temp_path ${join(temp, 'uwsgi')};
    scgi_temp_path ${join(temp, 'scgi')};
${blocks}
    server {
        listen 127.0.0.1:${port};
${locations}
    }
}
`;
}

/** Start nginx in the foreground on a free port; resolves once it accepts connections. */
export async function startNginx(temp: string, upstreams: Upstream[]): Promise<Nginx> {
  if (NGINX === undefined) throw new Error('nginx is not installed (.ci/run installs Debian\'s nginx-light)');
  mkdirSync(join(temp, 'logs'), { recursive: true });
  const port = await freePort();
  const conf = join(temp, 'nginx.conf');
  const errorLog = join(temp, 'logs/error.log');
  writeFileSync(conf, nginxConf(temp, port, upstreams));
  const proc = spawn(NGINX, ['-p', temp, '-c', conf, '-e', errorLog, '-g', `daemon off; pid ${join(temp, 'nginx.pid')};`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const readLog = (): string => (existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '');
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`nginx exited (${proc.exitCode}): ${stderr}\n${readLog()}`);
    if (await canConnect(port)) break;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port} within 10 s: ${stderr}\n${readLog()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    proc,
    port,
    conf,
    base: `http://127.0.0.1:${port}`,
    errorLog: readLog,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGQUIT');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
