/**
 * Where the apps' output goes. Each app's stdout, stderr and access log has a target: a file
 * (`logs.dir/<app>.out.log` and `.err.log` by default, or the app's own `stdout_log`,
 * `stderr_log`, `access_log`) or tsgid's stdout (`-`, and the default when `logs.dir` is unset).
 * Files are shared by path, so two streams or two apps may name one file and still get one
 * writer, one rotation. The pools see this as their Logger; the daemon's own lines pass through.
 *
 * It also answers `GET /v1/apps/:name/logs`: the last lines (from the file, or from an in-memory
 * ring of the last RECENT_LINES for a stream that goes to stdout) and a live feed.
 */
import { join } from 'node:path';
import type { AppConfig, Config } from '../config/index.js';
import { STDOUT } from '../config/log-kinds.js';
import type { Logger, OutputStream } from '../log.js';
import { fileLine, parseFileLine, type LogEntry } from './line-format.js';
import { Recent } from './recent.js';
import { RotatingFile, type Rotation } from './rotating-file.js';
import { tailLines } from './tail.js';

export type StreamChoice = OutputStream | 'all';

interface Targets {
  out: string;
  err: string;
  /** undefined: no access log */
  access: string | undefined;
}

interface Follower {
  line(e: LogEntry): void;
  /** the feed ends: tsgid is shutting down, or the app was removed */
  end(): void;
}

export class AppLogs implements Logger {
  private readonly files = new Map<string, { file: RotatingFile; users: number }>();
  private readonly targets = new Map<string, Targets>();
  private readonly recent = new Map<string, Recent>();
  private readonly followers = new Map<string, Set<Follower>>();
  private readonly rotation: Rotation;
  private readonly dir: string | undefined;

  constructor(
    settings: Config['logs'],
    private readonly base: Logger,
  ) {
    this.dir = settings.dir;
    this.rotation = { maxSize: settings.max_size, keep: settings.keep, gzip: settings.gzip };
  }

  info(msg: string): void {
    this.base.info(msg);
  }

  warn(msg: string): void {
    this.base.warn(msg);
  }

  error(msg: string): void {
    this.base.error(msg);
  }

  worker(app: string, worker: number, stream: OutputStream, line: string): void {
    const to = this.targets.get(app)?.[stream] ?? STDOUT;
    const fans = this.followers.get(app);
    if (to === STDOUT) {
      this.base.worker(app, worker, stream, line);
      if (fans === undefined && !this.recent.has(app)) return;
    }
    const time = new Date().toISOString();
    const entry: LogEntry = { time, app, worker, stream, line };
    if (to === STDOUT) this.recent.get(app)?.push(entry);
    else this.files.get(to)?.file.write(fileLine({ time, app, worker, line }), `${app} ${stream === 'out' ? 'stdout' : 'stderr'}`);
    if (fans !== undefined) for (const f of fans) f.line(entry);
  }

  access(app: string, lines: readonly string[]): void {
    const to = this.targets.get(app)?.access;
    if (to === undefined) return; // turned off by a config reload while the old workers drain
    if (to === STDOUT) return this.base.access(app, lines);
    const file = this.files.get(to)?.file;
    for (const line of lines) file?.write(line, `${app} access`);
  }

  /** Route an app's output as its config says (on start, and when a config reload changes it). */
  setApp(app: AppConfig): void {
    const next: Targets = {
      out: app.stdout_log ?? (this.dir !== undefined ? join(this.dir, `${app.name}.out.log`) : STDOUT),
      err: app.stderr_log ?? (this.dir !== undefined ? join(this.dir, `${app.name}.err.log`) : STDOUT),
      access: app.access_log,
    };
    for (const path of [next.out, next.err, next.access]) if (path !== undefined && path !== STDOUT) this.acquire(path);
    this.release(this.targets.get(app.name));
    this.targets.set(app.name, next);
    if (next.out === STDOUT || next.err === STDOUT) {
      if (!this.recent.has(app.name)) this.recent.set(app.name, new Recent());
    } else {
      this.recent.delete(app.name);
    }
  }

  removeApp(name: string): void {
    this.endFeeds(name);
    this.release(this.targets.get(name));
    this.targets.delete(name);
    this.recent.delete(name);
  }

  /** SIGUSR1: reopen every file at its path. */
  reopen(): number {
    for (const { file } of this.files.values()) file.reopen();
    return this.files.size;
  }

  /** Write out what is queued (at shutdown). */
  async close(): Promise<void> {
    for (const app of [...this.followers.keys()]) this.endFeeds(app);
    await Promise.all([...this.files.values()].map(({ file }) => file.close()));
  }

  /** The last `n` lines of an app's stream(s), oldest first. */
  async tail(app: string, n: number, stream: StreamChoice): Promise<LogEntry[]> {
    const t = this.targets.get(app);
    if (t === undefined) return [];
    const wanted: OutputStream[] = stream === 'all' ? ['out', 'err'] : [stream];
    const fromRing = wanted.filter((s) => t[s] === STDOUT);
    const paths = [...new Set(wanted.filter((s) => t[s] !== STDOUT).map((s) => t[s]))];
    let entries: LogEntry[] = (this.recent.get(app)?.all() ?? []).filter((e) => e.stream !== undefined && fromRing.includes(e.stream));
    for (const path of paths) {
      await this.files.get(path)?.file.flush();
      // a file shared by both streams cannot tell them apart: its lines carry no stream
      const only = wanted.filter((s) => t[s] === path);
      const onlyStream = only.length === 1 && t.out !== t.err ? only[0] : undefined;
      const lines = (await tailLines(path, n)).map(parseFileLine).filter((e) => e.app === null || e.app === app);
      entries.push(...lines.map((e) => (onlyStream === undefined ? e : { ...e, stream: onlyStream })));
    }
    // the two streams' lines, merged by time (stable: each stream's own order is kept)
    if (wanted.length > 1) entries = entries.map((e, i) => ({ e, i })).sort((a, b) => (a.e.time ?? '').localeCompare(b.e.time ?? '') || a.i - b.i).map((x) => x.e);
    return entries.slice(-n);
  }

  /** Calls `fn` with each new line of the app's stream(s); returns the unsubscribe. */
  follow(app: string, stream: StreamChoice, fn: (e: LogEntry) => void, end: () => void): () => void {
    const f: Follower = { line: stream === 'all' ? fn : (e) => e.stream === stream && fn(e), end };
    let set = this.followers.get(app);
    if (set === undefined) this.followers.set(app, (set = new Set()));
    set.add(f);
    return () => {
      set.delete(f);
      if (set.size === 0 && this.followers.get(app) === set) this.followers.delete(app);
    };
  }

  /** How many live feeds are open (a test checks none is leaked). */
  followerCount(): number {
    let n = 0;
    for (const set of this.followers.values()) n += set.size;
    return n;
  }

  private endFeeds(app: string): void {
    const set = this.followers.get(app);
    this.followers.delete(app);
    for (const f of set ?? []) f.end();
  }

  private acquire(path: string): void {
    const held = this.files.get(path);
    if (held !== undefined) held.users++;
    else this.files.set(path, { file: new RotatingFile(path, this.rotation, (msg) => this.base.warn(`logs: ${msg}`)), users: 1 });
  }

  private release(t: Targets | undefined): void {
    if (t === undefined) return;
    for (const path of [t.out, t.err, t.access]) {
      if (path === undefined || path === STDOUT) continue;
      const held = this.files.get(path);
      if (held === undefined) continue;
      if (--held.users > 0) continue;
      this.files.delete(path);
      void held.file.close();
    }
  }
}
