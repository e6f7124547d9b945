/**
 * Start a real nginx in front of tsgid on the configuration docs/deploy.md shows, read out of that
 * page: its own prefix, temp files, logs and pid file in a temp dir, in the foreground
 * (`daemon off`), so the test owns the process and stops it by signal. nginx cannot listen on
 * port 0, so free ports are found by binding port 0 first and closing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { ROOT } from './daemon.js';
import { abandon, track } from './procs.js';
import { NGINX_TOOL, which } from './tools.js';
import { waitFor } from './wait.js';

export const NGINX = which(NGINX_TOOL);

/** Where the doc's two apps are in this test, and the apps it adds the way the doc adds `blog`. */
export interface Places {
  /** the path of shop's unix socket */
  shop: string;
  /** blog's loopback port */
  blog: number;
  /** more apps, each an upstream like blog's served at /<name>/; `server` as nginx's `server` directive takes it */
  more: Array<{ name: string; server: string }>;
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

/** The fenced nginx block of `page` (docs/deploy.md unless said), as a reader copies it. */
export function docNginxConf(page = 'docs/deploy.md'): string {
  const blocks = [...readFileSync(join(ROOT, page), 'utf8').matchAll(/^```nginx\n([\s\S]*?)^```$/gm)];
  if (blocks.length !== 1) throw new Error(`${page} has ${blocks.length} nginx blocks, not 1`);
  return blocks[0]![1]!;
}

/** The one part of `text` that `re` (global, multiline) matches; a doc edit that changes that fails here, not silently. */
function only(text: string, re: RegExp): string {
  const found = text.match(re) ?? [];
  if (found.length !== 1) throw new Error(`docs/deploy.md's nginx block matches ${re} ${found.length} times, not once: change test/helpers/nginx.ts with it`);
  return found[0]!;
}

/** `text` with `from`, which it must hold exactly once, replaced by `to`. */
export function replaceOnce(text: string, from: string, to: string): string {
  const parts = text.split(from);
  if (parts.length !== 2) throw new Error(`the documented nginx block holds ${JSON.stringify(from)} ${parts.length - 1} times, not once: change test/helpers/nginx.ts with it`);
  return parts.join(to);
}

/**
 * docs/deploy.md's nginx configuration, changed only where a test must: its addresses moved to
 * the test's, nginx's writable paths into `temp` (Debian's nginx has them under /var), and the
 * `more` apps added as copies of blog's upstream and location.
 */
export function nginxConf(temp: string, port: number, places: Places): string {
  let conf = docNginxConf();
  const blogServer = 'server 127.0.0.1:8001;';
  const upstream = only(conf, /^    upstream blog \{\n[\s\S]*?^    \}\n/gm);
  const location = only(conf, /^        location \/blog\/ \{\n[\s\S]*?^        \}\n/gm);
  const copies = (block: string): string => places.more.map((m) => block.replaceAll('blog', m.name).replace(blogServer, `server ${m.server};`)).join('');
  conf = replaceOnce(conf, upstream, upstream + copies(upstream));
  conf = replaceOnce(conf, location, location + copies(location));
  conf = replaceOnce(conf, 'server unix:/run/tsgi/shop.sock;', `server unix:${places.shop};`);
  conf = replaceOnce(conf, blogServer, `server 127.0.0.1:${places.blog};`);
  return localConf(conf, temp, port);
}

/**
 * A documented nginx configuration made runnable here: `listen 80;` moved to `port`, nginx's
 * writable paths into `temp` (Debian's nginx has them under /var).
 */
export function localConf(doc: string, temp: string, port: number): string {
  let conf = replaceOnce(doc, 'listen 80;', `listen 127.0.0.1:${port};`);
  const writable = ['access_log logs/access.log;', ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${join(temp, t)};`)];
  conf = replaceOnce(conf, 'http {\n', `http {\n${writable.map((l) => `    ${l}\n`).join('')}`);
  // as root, nginx's workers would switch to "nobody", who cannot reach sockets in a 0700 temp dir
  return (process.getuid?.() === 0 ? 'user root root;\n' : '') + conf;
}

/** Start nginx in the foreground on a free port; resolves once it accepts connections. */
export function startNginx(temp: string, places: Places): Promise<Nginx> {
  return runNginx(temp, (port) => nginxConf(temp, port, places));
}

/** Start nginx in the foreground on a free port with the configuration `confFor(port)`; resolves once it accepts connections. */
export async function runNginx(temp: string, confFor: (port: number) => string): Promise<Nginx> {
  if (NGINX === undefined) throw new Error('nginx is not installed (.ci/run installs Debian\'s nginx-light)');
  mkdirSync(join(temp, 'logs'), { recursive: true });
  const port = await freePort();
  const conf = join(temp, 'nginx.conf');
  const errorLog = join(temp, 'logs/error.log');
  writeFileSync(conf, confFor(port));
  const proc = track(spawn(NGINX, ['-p', temp, '-c', conf, '-e', errorLog, '-g', `daemon off; pid ${join(temp, 'nginx.pid')};`], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const readLog = (): string => (existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '');
  try {
    await waitFor(() => canConnect(port), {
      what: `nginx to listen on ${port}`,
      timeout: 10_000,
      abort: () => (proc.exitCode === null ? undefined : `nginx exited (${proc.exitCode})`),
      detail: () => `${stderr}\n${readLog()}`,
    });
  } catch (e) {
    // the caller never gets a handle to stop it
    await abandon(proc);
    throw e;
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
