/**
 * The configuration file → a Config: read, YAML, `${VAR}`, validation, and errors that name the
 * file, line, column and key path.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TsgiError } from '../errors.js';
import { withDerivedDefaults } from './admin-defaults.js';
import { combine, formatIssue, formatPath, ValueError, type Path, type Position } from './issues.js';
import { topSection, type Config } from './settings.js';
import type { Runner } from './users.js';
import { parseSection } from './validate.js';
import { readYaml } from './yaml-source.js';

/**
 * Reads and parses a configuration file; `env` feeds `${VAR}` (process.env unless given), and
 * `runner`, given when tsgid will run it, is who checks each app's `user` against.
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env, runner?: Runner): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new TsgiError('TSGI_ERR_CONFIG_READ', `${file}: cannot read the configuration file (${reason})`, { cause: err });
  }
  return parseConfig(text, file, env, runner);
}

/**
 * Parses configuration text as if read from `file`: relative paths resolve against its
 * directory, and messages name it as given.
 */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env, runner?: Runner): Config {
  const abs = resolve(file);
  const dir = dirname(abs);
  const source = readYaml(text, file, env);
  const values: Record<string, unknown> = {};
  let invalid: ValueError | undefined;
  try {
    parseSection(topSection, withDerivedDefaults(source.value, abs), { dir, top: values, ...(runner !== undefined && { runner }) }, values);
  } catch (err) {
    if (!(err instanceof ValueError)) throw err;
    invalid = err;
  }
  // every problem in the file, in the file's order; a value that could not be read (an unset
  // ${VAR}) is told once, not again as the invalid value it was left as
  const read = source.problems?.all() ?? [];
  const seen = new Set(read.map((e) => JSON.stringify(e.at)));
  const all = [...read, ...(invalid?.all() ?? []).filter((e) => !seen.has(JSON.stringify(e.at)))];
  if (all.length > 0) {
    const placed = all.map((e) => ({ e, pos: source.locate(e.at, e.target) }));
    placed.sort((a, b) => (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0));
    const message = placed.map(({ e, pos }) => formatIssue(file, pos, e.at, e.message)).join('\n');
    throw new TsgiError(placed[0]!.e.code, message, { cause: combine(placed.map((p) => p.e)) });
  }
  const config = { file: abs, dir, ...values, env_references: source.references } as Config;
  // not a setting: where each key is, for messages about the running config (a port in use)
  Object.defineProperty(config, PLACES, { value: (path: Path) => (source.has(path.slice(0, 3)) ? source.locate(path, 'value') : undefined), enumerable: false });
  return config;
}

const PLACES = Symbol('tsgi.config.places');

/**
 * `tsgi.yaml:7:13: apps.web.listen` for a key of a loaded config (its line and column in the
 * file); the key path alone for a config not read from a file (an app added through the API).
 */
/** `apps.web.listen` (or `apps.web.listen[1]` when it lists several), with its place in the file. */
export function listenWhere(config: Config, app: { name: string; listen: readonly unknown[] }, i: number): string {
  const path = ['apps', app.name, 'listen', i];
  return whereInConfig(config, path, app.listen.length > 1 ? path : path.slice(0, 3));
}

export function whereInConfig(config: Config, path: Path, shown: Path = path): string {
  const locate = (config as unknown as Record<symbol, ((p: Path) => Position | undefined) | undefined>)[PLACES];
  const pos = locate?.(path);
  return pos === undefined ? formatPath(shown) : `${config.file}:${pos.line}:${pos.col}: ${formatPath(shown)}`;
}
