/**
 * What the API shows of an app: its status and the config in force, never a secret. Env values
 * and anything named like a credential stay in the daemon (PM2's `pm2 env` prints them all);
 * env shows as its keys only.
 */
import type { AppStatus } from '../daemon/pool/app-pool.js';
import { appSection, formatListen, type AppConfig, type ListenAddress } from '../daemon/config/index.js';
import type { Fields } from '../daemon/config/declare.js';
import type { Control } from './control.js';

export type PublicConfig = Record<string, unknown>;
export type AppView = AppStatus & { config: PublicConfig; config_units?: Record<string, 'duration' | 'size'> };

const SECRET_KEY = /token|secret|passw|credential|private|api_?key/i;
export const REDACTED = '[redacted]';

export function appView(control: Control, name: string): AppView {
  return { ...control.appStatus(name), config: publicConfig(control.appConfig(name)), config_units: CONFIG_UNITS };
}

/**
 * Which config keys (dotted within a section) hold milliseconds or bytes, from the settings'
 * kinds: the JSON keeps numbers for scripts, and `tsgictl status APP` writes `30s`, `512MB`.
 */
export const CONFIG_UNITS: Record<string, 'duration' | 'size'> = units(appSection.fields);

function units(fields: Fields, prefix = ''): Record<string, 'duration' | 'size'> {
  const out: Record<string, 'duration' | 'size'> = {};
  for (const [key, f] of Object.entries(fields)) {
    if (f.is === 'section') Object.assign(out, units(f.fields, `${prefix}${key}.`));
    else if (f.kind.type === 'duration' || f.kind.type === 'size') out[prefix + key] = f.kind.type;
  }
  return out;
}

/** The daemon's status with every app's public config. */
export function daemonView(control: Control): ReturnType<Control['status']> & { apps: AppView[] } {
  const status = control.status();
  return { ...status, apps: status.apps.map((a) => ({ ...a, config: publicConfig(control.appConfig(a.name)) })) };
}

export function publicConfig(config: AppConfig): PublicConfig {
  const out: PublicConfig = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === 'name') continue;
    if (key === 'env') out.env_keys = Object.keys(value as Record<string, string>).sort();
    else if (key === 'listen') out.listen = (value as ListenAddress[]).map(formatListen);
    else out[key] = redact(key, value);
  }
  return out;
}

/** Values under a credential-like key are hidden, at any depth (a later `restart.token` included). */
function redact(key: string, value: unknown): unknown {
  if (SECRET_KEY.test(key)) return REDACTED;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(k, v)]));
}
