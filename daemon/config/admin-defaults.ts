/**
 * The admin section's and pidfile's defaults as written, derived from the config file's name
 * so that two configs in one folder never share a pidfile, socket or token: `tsgi.yaml` keeps
 * `.tsgi/admin.sock`, `.tsgi/admin.token`, `.tsgi/tsgid.pid`; `staging.yaml` gets
 * `.tsgi/staging.sock`, `.tsgi/staging.token`, `.tsgi/staging.pid`. tsgictl uses the same
 * function to find the daemon from a config file without loading (and so without validating)
 * the apps in it.
 */
import { basename, extname } from 'node:path';
import type { Setting } from './declare.js';
import { topSection } from './settings.js';

const admin = topSection.fields.admin.fields;

export const ADMIN_DEFAULTS = {
  listen: stringDefault(admin.listen),
  token_file: stringDefault(admin.token_file),
  pidfile: stringDefault(topSection.fields.pidfile),
} as const;

/** The default config file's stem: its files keep the historical names. */
const DEFAULT_STEM = 'tsgi';

export function defaultsFor(configFile: string): { listen: string; token_file: string; pidfile: string } {
  const stem = basename(configFile, extname(configFile));
  if (stem === DEFAULT_STEM || stem === '') return { ...ADMIN_DEFAULTS };
  return { listen: `unix:.tsgi/${stem}.sock`, token_file: `.tsgi/${stem}.token`, pidfile: `.tsgi/${stem}.pid` };
}

/**
 * The parsed YAML with the derived defaults filled in where the file sets none; a value of
 * the wrong shape is left for validation to report.
 */
export function withDerivedDefaults(raw: unknown, configFile: string): unknown {
  if (raw !== null && raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw))) return raw;
  const top = (raw ?? {}) as Record<string, unknown>;
  const d = defaultsFor(configFile);
  const out: Record<string, unknown> = { ...top };
  if (!('pidfile' in top)) out.pidfile = d.pidfile;
  const a = top.admin;
  if (a === undefined || a === null) out.admin = { listen: d.listen, token_file: d.token_file };
  else if (typeof a === 'object' && !Array.isArray(a)) {
    out.admin = { ...('listen' in a ? {} : { listen: d.listen }), ...('token_file' in a ? {} : { token_file: d.token_file }), ...a };
  }
  return out;
}

function stringDefault(s: Setting): string {
  if (typeof s.default !== 'string') throw new Error('expected a string default');
  return s.default;
}
