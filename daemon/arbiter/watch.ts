/**
 * Hot reload on file change: one chokidar watcher for the whole daemon. Apps register the roots
 * they watch; a root two apps share is watched once and released when the last one goes. Each app
 * has its own debounce, so a burst of saves (an editor, a `git checkout`) gives one reload.
 * chokidar is loaded when the first app watches: a daemon whose apps do not watch never pays for it.
 */
import { extname, relative, resolve, sep } from 'node:path';
import type { FSWatcher } from 'chokidar';
import type { WatchSettings } from '../config/watch-kind.js';
import type { Logger } from '../log.js';

/** Never worth watching: huge, or written by the app itself (or by its workers: the TypeScript compile cache, worker/ts-cache.ts). */
const ALWAYS_IGNORED = /(^|[\\/])(node_modules|\.git|\.tsgi[\\/]cache)([\\/]|$)|\.log$/;

interface Watched {
  cwd: string;
  roots: string[];
  ignore: RegExp[];
  /** `.ts`, `.js`…: the only files that count; undefined: all */
  extensions: Set<string> | undefined;
  debounce: number;
  timer: NodeJS.Timeout | undefined;
}

export class Watcher {
  /** in order: each add or unwatch waits for the watcher (and chokidar's import) before it */
  private watcher: Promise<FSWatcher | undefined> | undefined;
  private readonly apps = new Map<string, Watched>();
  private readonly refs = new Map<string, number>();

  constructor(
    private readonly onChange: (app: string, path: string) => void,
    private readonly log: Logger,
  ) {}

  /** Watch (or stop watching, with `false`) an app's files. Called again when its config changes. */
  set(app: string, cwd: string, spec: WatchSettings | false): void {
    this.remove(app);
    if (spec === false) return;
    const roots = spec.paths.map((p) => resolve(cwd, p));
    this.apps.set(app, { cwd, roots, ignore: spec.ignore.map(globToRegExp), extensions: spec.extensions && new Set(spec.extensions.map((e) => `.${e}`)), debounce: spec.debounce, timer: undefined });
    const fresh = roots.filter((r) => this.ref(r, +1) === 1);
    if (fresh.length === 0) return;
    if (this.watcher === undefined) {
      this.watcher = import('chokidar').then(
        ({ default: chokidar }) => {
          const watcher = chokidar.watch(fresh, { ignoreInitial: true, ignored: (path: string) => ALWAYS_IGNORED.test(path) });
          watcher.on('all', (_event, path) => this.changed(path));
          watcher.on('error', (err) => this.log.warn(`file watcher: ${err instanceof Error ? err.message : String(err)}`));
          return watcher;
        },
        (err: unknown) => {
          this.log.warn(`file watcher: ${err instanceof Error ? err.message : String(err)}`);
          return undefined;
        },
      );
    } else {
      void this.watcher.then((w) => w?.add(fresh));
    }
    this.log.info(`${app}: watching ${roots.join(', ')} for changes`);
  }

  remove(app: string): void {
    const w = this.apps.get(app);
    if (w === undefined) return;
    clearTimeout(w.timer);
    this.apps.delete(app);
    const released = w.roots.filter((r) => this.ref(r, -1) === 0);
    if (released.length > 0) void this.watcher?.then((w) => w?.unwatch(released));
  }

  async close(): Promise<void> {
    for (const w of this.apps.values()) clearTimeout(w.timer);
    this.apps.clear();
    this.refs.clear();
    const watcher = this.watcher;
    this.watcher = undefined;
    await (await watcher)?.close();
  }

  /** How many apps watch `root` after adding `delta`. */
  private ref(root: string, delta: number): number {
    const n = (this.refs.get(root) ?? 0) + delta;
    if (n <= 0) this.refs.delete(root);
    else this.refs.set(root, n);
    return n;
  }

  private changed(path: string): void {
    for (const [app, w] of this.apps) {
      if (!w.roots.some((r) => path === r || path.startsWith(r + sep))) continue;
      if (w.extensions !== undefined && !w.extensions.has(extname(path))) continue;
      const rel = relative(w.cwd, path);
      // relative patterns against the path under cwd only: `tmp` must not ignore all of /tmp/app
      if (w.ignore.some((re) => re.test(re.source.startsWith('^\\/') ? path : rel))) continue;
      clearTimeout(w.timer);
      w.timer = setTimeout(() => {
        w.timer = undefined;
        this.onChange(app, path);
      }, w.debounce);
    }
  }
}

/**
 * `*` any characters but `/`, `**` anything, `?` one character. A pattern without `/` matches a
 * file name anywhere (as in .gitignore): `*.tmp` ignores `a/b/c.tmp`.
 */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return glob.includes('/') ? new RegExp(`^${out}(/.*)?$`) : new RegExp(`(^|/)${out}(/.*)?$`);
}
