/**
 * A TypeScript compile cache shared by an app's workers: a `.ts` module is transpiled once, by the
 * first worker that meets it, into `<cwd>/.tsgi/cache/ts/`, and later workers (every reload, every
 * respawn) load that JavaScript without loading a transpiler at all (amaro's 14–17 MB of
 * WebAssembly on Node 22+, @swc/core's native binding for decorator metadata).
 *
 * An entry's name is a hash of the transpiler, the file's path and its source text: an edit (hot
 * reload) or another Node version is a miss, never a stale hit, whatever the file times say. Each
 * entry carries its body's length and hash, so a truncated or altered file is refused and the
 * module transpiled again. The folder is 0700 and entries 0600, written as a temporary file then
 * renamed, so workers booting together never read half an entry. A folder tsgi cannot use (not
 * writable, another user's, open to others) turns the cache off for that worker with one warning:
 * it transpiles in memory, as it did before there was a cache.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// required when first used, not imported: this file is in the worker bundle, and a JavaScript
// app's worker should not load node:crypto for a TypeScript cache it never touches
let crypto: typeof import('node:crypto') | undefined;
const lazyCrypto = (): typeof import('node:crypto') => (crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto'));

/** Where an app in `cwd` keeps its transpiled modules. */
export function cacheDirOf(cwd: string): string {
  return path.join(cwd, '.tsgi', 'cache', 'ts');
}

const MAGIC = 'tsgi-ts-cache 1';

export interface CacheStats {
  hits: number;
  misses: number;
  /** why the folder is not used, once it was found unusable */
  off?: string;
}

export class TsCache {
  readonly stats: CacheStats = { hits: 0, misses: 0 };
  private ready: boolean | undefined;

  constructor(
    readonly dir: string,
    private readonly warn: (message: string) => void = (message) => process.stderr.write(`tsgi: ${message}\n`),
  ) {}

  /**
   * `source` transpiled by `transpile`, from the cache when an intact entry for this transpiler,
   * file and source exists; else transpiled now and stored.
   */
  get(transpiler: string, file: string, source: string, transpile: () => string): string {
    const name = `${sha256(`${transpiler}\0${file}\0${source}`)}.js`;
    const cached = this.read(name);
    if (cached !== undefined) {
      this.stats.hits++;
      return cached;
    }
    this.stats.misses++;
    const code = transpile();
    this.write(name, code);
    return code;
  }

  private read(name: string): string | undefined {
    if (!this.usable(false)) return undefined;
    let fd: number;
    try {
      fd = openSync(path.join(this.dir, name), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      return undefined;
    }
    try {
      const st = fstatSync(fd);
      // another user's entry, or one others may write, is not trusted to run in this worker
      if (!st.isFile() || (st.mode & 0o022) !== 0 || (process.getuid !== undefined && st.uid !== process.getuid())) return undefined;
      const text = readFileSync(fd, 'utf8');
      const newline = text.indexOf('\n');
      const [magic, version, hash, length] = text.slice(0, newline).split(' ');
      const body = text.slice(newline + 1);
      if (`${magic} ${version}` !== MAGIC || Number(length) !== Buffer.byteLength(body) || sha256(body) !== hash) return undefined;
      return body;
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  private write(name: string, code: string): void {
    if (!this.usable(true)) return;
    const temp = path.join(this.dir, `.${name}.${process.pid}.${lazyCrypto().randomBytes(4).toString('hex')}.tmp`);
    try {
      writeFileSync(temp, `${MAGIC} ${sha256(code)} ${Buffer.byteLength(code)}\n${code}`, { mode: 0o600, flag: 'wx' });
      renameSync(temp, path.join(this.dir, name));
    } catch (err) {
      rmSync(temp, { force: true });
      this.off(`cannot write ${this.dir} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }

  /** The folder exists (made when `create`), is ours and closed to others; else the cache is off for this process. */
  private usable(create: boolean): boolean {
    if (this.ready !== undefined) return this.ready;
    try {
      if (create) mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const st = lstatSync(this.dir);
      if (!st.isDirectory()) return this.off(`${this.dir} is not a folder`);
      if (process.getuid !== undefined && st.uid !== process.getuid()) return this.off(`${this.dir} belongs to uid ${st.uid}, not this worker's ${process.getuid()}`);
      if ((st.mode & 0o077) !== 0) return this.off(`${this.dir} is open to other users (mode ${(st.mode & 0o777).toString(8)}; want 700)`);
      return (this.ready = true);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // nothing cached yet and nothing to store: ask again when there is something to write
      if (!create && code === 'ENOENT') return false;
      return this.off(`cannot use ${this.dir} (${code ?? String(err)})`);
    }
  }

  private off(why: string): false {
    if (this.stats.off === undefined) {
      this.stats.off = why;
      this.warn(`TypeScript compile cache off: ${why}; transpiling in memory`);
    }
    this.ready = false;
    return false;
  }
}

export function sha256(text: string): string {
  return lazyCrypto().createHash('sha256').update(text).digest('hex');
}
