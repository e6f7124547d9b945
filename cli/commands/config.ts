/**
 * tsgictl config reload (the daemon re-reads its file, as on SIGHUP), config diff (what that
 * would do, as `kubectl diff`) and config check [FILE] (validates a file here, with no daemon:
 * the config module is loaded only for this command).
 */
import { resolve } from 'node:path';
import type { ConfigReloadResult } from '../../daemon/arbiter/arbiter.js';
import type { ReloadPlan } from '../../daemon/config/diff.js';
import type { CommandDef } from '../types.js';
import { failures } from './actions.js';

export const configReload: CommandDef = {
  name: 'config reload',
  args: '',
  description: "Re-read the daemon's config file: start added apps, remove dropped ones, roll changed ones",
  min: 0,
  max: 0,
  options: { 'dry-run': { type: 'boolean', description: 'Only show what the reload would do (as `config diff`); change nothing' } },
  async run(ctx) {
    if (ctx.options['dry-run'] === true) return configDiff.run(ctx);
    const r = await ctx.client().post<ConfigReloadResult>('/v1/config/reload');
    const line = (what: string, names: string[] | undefined) => (names !== undefined && names.length > 0 ? `${what}: ${names.join(', ')}\n` : '');
    const text = line('added', r.added) + line('removed', r.removed) + line('changed', r.changed) + line('started', r.started) + line('stopped', r.stopped) + line('unchanged', r.unchanged) || 'no apps\n';
    return failures(ctx, { json: r, text }, r.errors);
  },
};

export const configDiff: CommandDef = {
  name: 'config diff',
  args: '',
  description: 'What a config reload would do now: apps added, removed, rolled, started, stopped or left alone, setting by setting',
  min: 0,
  max: 0,
  async run(ctx) {
    const plan = await ctx.client().get<ReloadPlan>('/v1/config/diff');
    // loaded here only: the other commands start without the config module
    const { formatPlan } = await import('../../daemon/config/diff.js');
    return { json: plan, text: formatPlan(plan) };
  },
};

export const configCheck: CommandDef = {
  name: 'config check',
  args: '[FILE]',
  description: 'Validate a config file without a daemon (default: -c FILE, else ./tsgi.yaml)',
  min: 0,
  max: 1,
  async run({ args, configFile }) {
    const file = resolve(args[0] ?? configFile ?? 'tsgi.yaml');
    const { loadConfig } = await import('../../daemon/config/load.js');
    const { currentRunner } = await import('../../daemon/config/users.js');
    // checked as tsgid would be if started by the same account
    const config = loadConfig(file, process.env, currentRunner());
    const apps = Object.keys(config.apps);
    return { json: { file, valid: true, apps }, text: `${file}: OK (${apps.length} app${apps.length === 1 ? '' : 's'}${apps.length > 0 ? `: ${apps.join(', ')}` : ''})\n` };
  },
};
