/**
 * tsgictl import ECOSYSTEM: a PM2 ecosystem file (.js/.cjs/.mjs, .json, .yaml) turned into the
 * equivalent tsgi.yaml, with a comment on each setting saying which PM2 option it came from, and
 * every option that could not be mapped listed with why (in the file and in the output). Needs no
 * daemon; the JavaScript is evaluated in a child process (pm2-ecosystem.ts).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { TsgiError } from '../../daemon/errors.js';
import type { CommandDef } from '../types.js';

export const importPm2: CommandDef = {
  name: 'import',
  args: 'ECOSYSTEM',
  description: 'Write the tsgi.yaml equivalent to a PM2 ecosystem file (ecosystem.config.js, .json or .yaml); no daemon needed',
  min: 1,
  max: 1,
  options: {
    out: { type: 'string', short: 'o', value: 'FILE', description: 'write the config here (default: print it)' },
    env: { type: 'string', value: 'NAME', description: "merge the apps' env_NAME over env, as pm2 start --env NAME" },
    force: { type: 'boolean', description: 'overwrite --out if it exists' },
  },
  async run({ args, options }) {
    const file = resolve(args[0]!);
    const out = typeof options.out === 'string' ? resolve(options.out) : undefined;
    if (out !== undefined && existsSync(out) && options.force !== true) {
      throw new TsgiError('TSGI_ERR_CLI_USAGE', `${out} exists; pass --force to overwrite it`);
    }
    const { importEcosystem } = await import('../pm2-import.js');
    return importEcosystem(file, out, typeof options.env === 'string' ? options.env : undefined);
  },
};

