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
      const cmd = commands.find((c) => c.name === args.join(' ')) ?? commands.find((c) => c.name.startsWith(`${args[0]} `) && args.length === 1);
      if (cmd === undefined) throw usageError(`help: no command "${args.join(' ')}"`);
      return { json: { usage: commandUsage(cmd) }, text: commandUsage(cmd) };
    },
  };
}
