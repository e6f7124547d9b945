/** Usage text, from the command declarations and the global options. */
import type { CommandDef, OptionDef } from './types.js';

export const GLOBAL_OPTIONS: Record<string, OptionDef> = {
  config: { type: 'string', short: 'c', value: 'FILE', description: 'find the daemon from this tsgid config (default ./tsgi.yaml)' },
  url: { type: 'string', value: 'URL', description: 'the admin API: http://HOST:PORT or unix:PATH (or TSGI_URL)' },
  socket: { type: 'string', value: 'PATH', description: "the admin API's unix socket" },
  token: { type: 'string', value: 'TOKEN', description: 'bearer token for a TCP admin API (or TSGI_TOKEN)' },
  json: { type: 'boolean', description: 'print JSON for scripts' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  version: { type: 'boolean', short: 'v', description: 'print the version' },
};

export function synopsis(cmd: CommandDef): string {
  const flags = Object.entries(cmd.options ?? {}).map(([name, o]) => {
    const flag = `--${name}${o.value ? ` ${o.value}` : ''}${o.multiple ? '...' : ''}`;
    return o.required ? flag : `[${flag}]`;
  });
  return [cmd.name, cmd.args, ...flags].filter((s) => s !== '').join(' ');
}

export function usage(commands: readonly CommandDef[]): string {
  const head = (c: CommandDef) => [c.name, c.args].filter((s) => s !== '').join(' ');
  const width = Math.max(...commands.map((c) => head(c).length));
  const lines = commands.flatMap((c) => [`  ${head(c).padEnd(width)}  ${c.description}`, ...(c.options ? [options(c.options, '      ')] : [])]);
  return `Usage: tsgictl [options] COMMAND [ARGS]

Commands:
${lines.join('\n')}

Options:
${options(GLOBAL_OPTIONS)}

Exit status: 0 ok, 1 the action failed, 2 usage or invalid input, 3 cannot reach tsgid.
`;
}

export function commandUsage(cmd: CommandDef): string {
  const own = cmd.options === undefined ? '' : `\nOptions:\n${options(cmd.options)}\n`;
  return `Usage: tsgictl [options] ${synopsis(cmd)}\n\n${cmd.description}\n${own}\nSee tsgictl --help for the global options.\n`;
}

function options(opts: Record<string, OptionDef>, indent = '  '): string {
  const rows = Object.entries(opts).map(([name, o]) => ({
    flag: `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`,
    text: `${o.description}${o.required ? ' (required)' : ''}`,
  }));
  const width = Math.max(...rows.map((r) => r.flag.length));
  return rows.map((r) => `${indent}${r.flag.padEnd(width)}  ${r.text}`).join('\n');
}
