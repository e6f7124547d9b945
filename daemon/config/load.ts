/**
 * The configuration file → a Config: read, YAML, `${VAR}`, validation, and errors that name the
 * file, line, column and key path.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TsgiError } from '../errors.js';
import { withDerivedDefaults } from './admin-defaults.js';
import { formatIssue, ValueError } from './issues.js';
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
  try {
    parseSection(topSection, withDerivedDefaults(source.value, abs), { dir, top: values, ...(runner !== undefined && { runner }) }, values);
  } catch (err) {
    if (!(err instanceof ValueError)) throw err;
    throw new TsgiError(err.code, formatIssue(file, source.locate(err.at, err.target), err.at, err.message), { cause: err });
  }
  return { file: abs, dir, ...values, env_references: source.references } as Config;
}
