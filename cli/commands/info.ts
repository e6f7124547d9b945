/** tsgictl version, and help [COMMAND]: nothing asked of the daemon. */
import { packageVersion } from '../../api/version.js';
import { usageError } from '../errors.js';
import type { CommandDef } from '../types.js';
import { commandUsage, usage } from '../usage.js';

export const version: CommandDef = {
  name: 'version',
  args: '',
  description: "Print tsgictl's version",
  min: 0,
  max: 0,
  async run() {
    const v = packageVersion();
    return { json: { version: v }, text: `tsgictl ${v}\n` };
  },
};

export function help(commands: readonly CommandDef[]): CommandDef {
  return {
    name: 'help',
    args: '[COMMAND]',
    description: 'Show usage, or one command\'s usage and options',
    min: 0,
    max: 2,
    async run({ args }) {
      if (args.length === 0) return { json: { usage: usage(commands) }, text: usage(commands) };
      const name = args.join(' ');
      // a group name ("config") shows each of its commands
      const found = commands.filter((c) => c.name === name || c.name.startsWith(`${name} `));
      if (found.length === 0) throw usageError(`help: no command "${name}"`);
      const text = found.map(commandUsage).join('\n');
      return { json: { usage: text }, text };
    },
  };
}
