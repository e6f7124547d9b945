/**
 * The checks `POST /v1/apps` makes before queueing an add, composed from the arbiter's public
 * reads: the name is free, the entry parses like one in the YAML file, and no address it would
 * listen on is held by a running app (as configured, or as bound for port 0) or the admin API.
 */
import { dirname } from 'node:path';
import { currentRunner, formatListen, listensOverlap, parseAppInput, parseListen, type AppConfig, type ListenAddress } from '../daemon/config/index.js';
import { TsgiError } from '../daemon/errors.js';
import type { Control } from './control.js';

export interface NewAppLimits {
  maxWorkers: number;
  /** relative paths resolve here; default: the config file's directory */
  baseDir?: string;
  adminListen?: ListenAddress;
}

export function checkNewApp(control: Control, name: string, input: unknown, limits: NewAppLimits): AppConfig {
  if (control.appNames.includes(name)) throw new TsgiError('TSGI_ERR_APP_EXISTS', `an app named "${name}" already exists`);
  const baseDir = limits.baseDir ?? dirname(control.status().config_file);
  const config = parseAppInput(name, input, baseDir, limits.maxWorkers, currentRunner());
  const taken = heldAddresses(control, limits.adminListen);
  for (const addr of config.listen) {
    const clash = taken.find((t) => listensOverlap(addr, t.addr));
    if (clash) throw new TsgiError('TSGI_ERR_LISTEN_IN_USE', `apps.${name}.listen: ${formatListen(addr)} overlaps ${clash.owner} (${formatListen(clash.addr)})`);
  }
  return config;
}

function heldAddresses(control: Control, admin: ListenAddress | undefined): Array<{ owner: string; addr: ListenAddress }> {
  const held: Array<{ owner: string; addr: ListenAddress }> = admin ? [{ owner: 'the admin API', addr: admin }] : [];
  for (const app of control.status().apps) {
    const owner = `app "${app.name}"`;
    for (const addr of control.appConfig(app.name).listen) held.push({ owner, addr });
    // a configured port 0 is bound to a real port: that one is taken too
    for (const bound of app.listen) held.push({ owner, addr: parseListen(bound, '/') });
  }
  return held;
}
