/**
 * `tsgictl init`: what app a project folder holds, found the way a person would look — a
 * NestJS or Next.js project by its dependencies, else package.json `main`, else the file
 * `scripts.start` runs, else a `server`/`app`/`index` file — and the tsgi.yaml that serves it.
 * Pure but for reading the folder, so it is tested on sample projects.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export type AppKind = 'nestjs' | 'nextjs' | 'module';

export interface Found {
  kind: AppKind;
  /** `path/to/module[:export]` as the config names it */
  app: string;
  /** the name of the app in tsgi.yaml */
  name: string;
  /** files init must write beside the config (an entry for NestJS or Next.js), by relative path */
  entries: Record<string, string>;
  /** what the person should know, one line each */
  notes: string[];
}

interface PackageJson {
  name?: string;
  main?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const CANDIDATES = ['server', 'app', 'index', 'main', 'src/server', 'src/app', 'src/index', 'src/main'];
const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '.cjs'];

/** Undefined when nothing in `dir` looks like an app. */
export function detectApp(dir: string): Found | undefined {
  const pkg = readPackage(dir);
  const deps = { ...pkg?.dependencies, ...pkg?.devDependencies };
  const name = appName(pkg?.name ?? path.basename(dir));
  if (deps['@nestjs/core'] !== undefined) return nest(dir, name, deps);
  if (deps.next !== undefined) return nextjs(name);
  const fromPkg = [pkg?.main, startScriptFile(pkg?.scripts?.start)].find((f): f is string => f !== undefined && isFile(dir, f));
  const file = fromPkg ?? CANDIDATES.flatMap((c) => EXTENSIONS.map((e) => c + e)).find((f) => isFile(dir, f));
  if (file === undefined) return undefined;
  const rel = `./${path.posix.normalize(file.split(path.sep).join('/'))}`;
  const notes = typeScriptNotes(dir, file, deps);
  const text = readFileSync(path.join(dir, file), 'utf8');
  if (/\.listen\s*\(/.test(text)) {
    notes.push(`${rel} calls listen(): tsgid opens the sockets itself, so export the app instead (module.exports = app, or export default app) and drop the listen() call, or guard it with \`if (require.main === module)\` (CommonJS), so \`node file\` still listens`);
  }
  return { kind: 'module', app: rel, name, entries: {}, notes };
}

function nest(dir: string, name: string, deps: Record<string, string>): Found {
  const notes = typeScriptNotes(dir, 'src/main.ts', deps);
  if (!existsSync(path.join(dir, 'src/app.module.ts'))) notes.push('no src/app.module.ts: edit src/tsgi.ts to import your root module');
  // one string per line: no line of this file starts with `import` (test/cli-startup.test.ts walks those)
  const entry = [
    `// Written by \`tsgictl init\`: this NestJS app's TSGI entry. tsgid calls make() once per worker`,
    `// and serves what it returns; src/main.ts (which calls listen()) is not used under tsgid.`,
    `import { NestFactory } from '@nestjs/core';`,
    `import { AppModule } from './app.module';`,
    ``,
    `export async function make() {`,
    `  const app = await NestFactory.create(AppModule);`,
    `  await app.init();`,
    `  return app.getHttpAdapter().getInstance();`,
    `}`,
  ].join('\n') + '\n';
  return { kind: 'nestjs', app: './src/tsgi.ts:make()', name, entries: { 'src/tsgi.ts': entry }, notes };
}

function nextjs(name: string): Found {
  const entry = [
    `// Written by \`tsgictl init\`: this Next.js app's TSGI entry (Next's custom-server API).`,
    `// tsgid calls make() once per worker. Run \`next build\` first; NODE_ENV=development serves \`next dev\` instead.`,
    `import next from 'next';`,
    `import { fileURLToPath } from 'node:url';`,
    ``,
    `export async function make() {`,
    `  const app = next({ dev: process.env.NODE_ENV === 'development', dir: fileURLToPath(new URL('.', import.meta.url)) });`,
    `  await app.prepare();`,
    `  return app.getRequestHandler();`,
    `}`,
  ].join('\n') + '\n';
  return { kind: 'nextjs', app: './tsgi-next.mjs:make()', name, entries: { 'tsgi-next.mjs': entry }, notes: ['run `npx next build` before `npx tsgid`'] };
}

const RUNNERS = new Set(['node', 'tsx', 'ts-node', 'nodemon']);
/** flags of node and tsx that take the next word as their value */
const VALUED = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '--tsconfig', '--watch-path']);

/** The file a start script runs: `node server.js`, `tsx watch src/index.ts`, `node -r dotenv/config dist/main.js`. */
export function startScriptFile(script: string | undefined): string | undefined {
  const words = (script ?? '').trim().split(/\s+/);
  if (!RUNNERS.has(words[0] ?? '')) return undefined;
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (VALUED.has(w)) i++;
    else if (!w.startsWith('-') && !(i === 1 && w === 'watch')) return w;
  }
  return undefined;
}

function typeScriptNotes(dir: string, file: string, deps: Record<string, string>): string[] {
  if (!/\.[mc]?tsx?$/.test(file)) return [];
  const tsconfig = path.join(dir, 'tsconfig.json');
  const metadata = existsSync(tsconfig) && /"emitDecoratorMetadata"\s*:\s*true/.test(readFileSync(tsconfig, 'utf8'));
  if (metadata && deps['@swc/core'] === undefined) return ['tsconfig.json sets emitDecoratorMetadata: npm install @swc/core (tsgi compiles TypeScript with it, keeping the metadata injection needs)'];
  if (!metadata && deps.tsx === undefined) return ['a TypeScript entry: npm install tsx (or run Node 22.18+, whose type stripping needs imports written as ./file.ts)'];
  return [];
}

function readPackage(dir: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

function isFile(dir: string, file: string): boolean {
  return statSync(path.join(dir, file), { throwIfNoEntry: false })?.isFile() ?? false;
}

/** An app name tsgi accepts (`[a-z0-9][a-z0-9_-]*`), from a package name such as `@acme/Shop`. */
export function appName(raw: string): string {
  const name = raw.replace(/^@[^/]+\//, '').toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64);
  return name === '' ? 'web' : name;
}

/** The commented tsgi.yaml for what was found. */
export function configText(found: Found): string {
  return `# tsgi.yaml, written by \`tsgictl init\`. Start it with \`npx tsgid\`; \`npx tsgictl status\` shows it.
# Every setting, its type and its default: node_modules/tsgi/docs/config.md.
# \${VAR:-default} takes a value from the environment, else the default.

apps:
  ${found.name}:
    # the module tsgid serves (${found.kind === 'module' ? 'its default export; `./file.js:name` for another, `:make()` for a factory' : `a ${found.kind === 'nestjs' ? 'NestJS' : 'Next.js'} entry written by init`})
    app: ${found.app}
    # where it accepts connections; HOST=0.0.0.0 in a container
    listen: "\${HOST:-127.0.0.1}:\${PORT:-8000}"
    # worker processes (gunicorn's and Heroku's WEB_CONCURRENCY); about one per core
    workers: \${WEB_CONCURRENCY:-2}
    env:
      NODE_ENV: \${NODE_ENV:-production}
    # development: reload when source files change (node_modules, .git, logs, uploads and caches are not watched)
    # watch: true
`;
}
