/**
 * Reads a PM2 ecosystem file: `.json`, `.yaml`/`.yml`, or JavaScript (`.js`, `.cjs`, `.mjs`), which
 * is code: it is evaluated in a child `node` process with a timeout, never in tsgictl or tsgid,
 * and hands its `module.exports` back as JSON on a pipe of its own (fd 3), so what the file
 * prints cannot corrupt it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { TsgiError } from '../daemon/errors.js';

/** One entry of the ecosystem's `apps`, as PM2 takes it: any keys, checked by the mapper. */
export type Pm2App = Record<string, unknown>;

const EVAL_TIMEOUT_MS = 10_000;
const MAX_OUTPUT = 4 * 1024 * 1024;

// Runs as an ES module; `import()` gives a CommonJS file's module.exports as `default`.
const EVALUATE = `
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const m = await import(pathToFileURL(process.argv[1]).href);
const v = m.default ?? m;
writeSync(3, JSON.stringify(typeof v === 'function' ? v() : v) ?? 'null');
`;

export async function readEcosystem(file: string): Promise<Pm2App[]> {
  const ext = extname(file).toLowerCase();
  let text: string;
  try {
    text = ext === '.js' || ext === '.cjs' || ext === '.mjs' ? await evaluate(file) : readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof TsgiError) throw err;
    throw invalid(file, (err as Error).message);
  }
  let value: unknown;
  try {
    value = ext === '.yaml' || ext === '.yml' ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw invalid(file, (err as Error).message);
  }
  // PM2 takes { apps: [...] }, a single app object, or a bare list
  const apps = Array.isArray(value) ? value : isObject(value) && Array.isArray(value.apps) ? value.apps : isObject(value) && typeof value.script === 'string' ? [value] : undefined;
  if (apps === undefined) throw invalid(file, 'expected { apps: [ { name, script, ... } ] }');
  apps.forEach((app, i) => {
    if (!isObject(app)) throw invalid(file, `apps[${i}] is not an object`);
  });
  return apps as Pm2App[];
}

function evaluate(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', EVALUATE, file], {
      cwd: dirname(file),
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      timeout: EVAL_TIMEOUT_MS,
    });
    let out = '';
    let err = '';
    child.stdio[3]!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.length > MAX_OUTPUT) child.kill('SIGKILL');
    });
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else if (signal !== null) reject(new Error(`evaluating it did not finish within ${EVAL_TIMEOUT_MS / 1000}s (${signal})`));
      else reject(new Error(`evaluating it failed:\n${firstLines(err)}`));
    });
  });
}

function firstLines(text: string): string {
  return text.trim().split('\n').slice(0, 8).join('\n');
}

function invalid(file: string, why: string): TsgiError {
  return new TsgiError('TSGI_ERR_CONFIG_INVALID', `${file}: ${why}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
