/**
 * What a config reload would do, app by app and setting by setting: `kubectl diff` and
 * supervisord's `reread` for tsgi. The arbiter's reload acts on this same plan, so the diff is
 * exactly what a reload then does. Pure: running configs and the file's, in; the plan, out.
 */
import { sameAppConfig } from './same-app.js';
import type { AppConfig, Config } from './settings.js';

/**
 * add: a new app starts; remove: it drains and goes; roll: rolling reload onto the new settings;
 * start / stop: `autostart` changed; update: the settings of a stopped app change, it stays
 * stopped; unchanged: not touched.
 */
export type AppAction = 'add' | 'remove' | 'roll' | 'start' | 'stop' | 'update' | 'unchanged';

export interface SettingChange {
  /** dotted key path: `workers`, `env.API_KEY`, `restart.window` */
  key: string;
  /** as the running app has it, absent for a key being set; env values are never shown */
  from?: string;
  to?: string;
}

export interface AppPlan {
  app: string;
  action: AppAction;
  changes: SettingChange[];
}

export interface ReloadPlan {
  file: string;
  apps: AppPlan[];
  /** top-level settings that changed but take effect only when tsgid restarts */
  needs_restart: string[];
}

/** Top-level settings a config reload does not apply (arbiter.ts keeps the old ones). */
export const RESTART_ONLY = ['admin', 'max_workers', 'logs'] as const;

export function planReload(running: readonly AppConfig[], next: Config, current: Pick<Config, (typeof RESTART_ONLY)[number]>): ReloadPlan {
  const apps: AppPlan[] = [];
  const now = new Map(running.map((a) => [a.name, a]));
  for (const app of running) {
    if (next.apps[app.name] === undefined) apps.push({ app: app.name, action: 'remove', changes: settingChanges(app, undefined) });
  }
  for (const app of Object.values(next.apps)) {
    const was = now.get(app.name);
    if (was === undefined) apps.push({ app: app.name, action: 'add', changes: settingChanges(undefined, app) });
    else apps.push({ app: app.name, action: appAction(was, app), changes: settingChanges(was, app) });
  }
  const needs_restart = RESTART_ONLY.filter((k) => JSON.stringify(next[k]) !== JSON.stringify(current[k]));
  return { file: next.file, apps, needs_restart };
}

function appAction(was: AppConfig, next: AppConfig): AppAction {
  if (was.autostart && !next.autostart) return 'stop';
  if (!was.autostart && next.autostart) return 'start';
  if (sameAppConfig(was, next)) return 'unchanged';
  return next.autostart ? 'roll' : 'update';
}

/** Every leaf setting that differs; an added or removed app lists what it sets. */
export function settingChanges(was: AppConfig | undefined, next: AppConfig | undefined): SettingChange[] {
  const a = flatten(was);
  const b = flatten(next);
  const keys = [...new Set([...a.keys(), ...b.keys()])].filter((k) => k !== 'name').sort();
  const out: SettingChange[] = [];
  for (const key of keys) {
    const x = a.get(key);
    const y = b.get(key);
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    const secret = key.startsWith('env.');
    const change: SettingChange = { key };
    if (x !== undefined) change.from = secret ? (y === undefined ? '(set)' : '(old value)') : show(x);
    if (y !== undefined) change.to = secret ? '(new value)' : show(y);
    out.push(change);
  }
  return out;
}

function flatten(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (isPlainObject(value) && !('raw' in value)) {
    for (const [k, v] of Object.entries(value)) if (v !== undefined) flatten(v, prefix === '' ? k : `${prefix}.${k}`, out);
  } else if (value !== undefined && prefix !== '') {
    out.set(prefix, value);
  }
  return out;
}

function show(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (isPlainObject(v) && typeof v.raw === 'string') return v.raw;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One line per app that changes, then its settings: what `tsgictl config diff` prints. */
export function formatPlan(plan: ReloadPlan): string {
  const SIGN: Record<AppAction, string> = { add: '+', remove: '-', roll: '~', start: '~', stop: '~', update: '~', unchanged: '=' };
  let text = '';
  for (const p of plan.apps) {
    text += `${SIGN[p.action]} ${p.app}: ${p.action}${p.action === 'roll' ? ' (rolling reload)' : ''}\n`;
    if (p.action === 'remove' || p.action === 'unchanged') continue;
    // an added app lists every setting, defaults too: what it is and where it listens is enough here
    const shown = p.action === 'add' ? p.changes.filter((c) => /^(app|mounts\..*|listen|workers|autostart)$/.test(c.key)) : p.changes;
    for (const c of shown) text += `    ${c.key}: ${c.from === undefined ? '' : `${c.from} → `}${c.to ?? '(unset)'}\n`;
  }
  if (plan.apps.length === 0) text += 'no apps\n';
  for (const k of plan.needs_restart) text += `! ${k}: changed; takes effect when tsgid restarts\n`;
  return text;
}
