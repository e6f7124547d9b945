/**
 * One app given as a JS object (the admin API's `POST /v1/apps` body), in the same shape as one
 * entry under `apps:` in the YAML file. No `${VAR}` expansion here: the caller sends values.
 */
import { resolve } from 'node:path';
import { TsgiError } from '../errors.js';
import { formatIssue, ValueError } from './issues.js';
import { sectionSchema } from './json-schema.js';
import type { JsonSchema } from './kinds.js';
import { APP_NAME, appSection, type AppConfig } from './settings.js';
import type { Runner } from './users.js';
import { checkName, parseSection } from './validate.js';

/** JSON schema (draft-07) of parseAppInput's `input`. */
export const appJsonSchema: JsonSchema = sectionSchema(appSection);

/**
 * Validates one app. Relative paths resolve against `baseDir` (the config file's directory);
 * `workers` may not exceed `maxWorkers`. Errors are TsgiErrors whose message starts with the key
 * path (`apps.hello.workers: expected ...`). `runner`: who tsgid runs as, for the `user` rule.
 */
export function parseAppInput(name: string, input: unknown, baseDir: string, maxWorkers: number, runner?: Runner): AppConfig {
  try {
    checkName(name, APP_NAME);
  } catch (err) {
    throw withPath(err, 'apps');
  }
  try {
    return { name, ...parseSection(appSection, input, { dir: resolve(baseDir), top: { max_workers: maxWorkers }, ...(runner !== undefined && { runner }) }) };
  } catch (err) {
    throw withPath(err, 'apps', name);
  }
}

function withPath(err: unknown, ...keys: string[]): unknown {
  if (!(err instanceof ValueError)) return err;
  const { at, code, message } = err.under(...keys);
  return new TsgiError(code, formatIssue(undefined, undefined, at, message), { cause: err });
}
