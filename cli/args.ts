/**
 * The command line → which command, its arguments and options. Flags are declared per command
 * (CommandDef.options) and parsed strictly: an unknown flag or a missing required one is a usage
 * error, as is a wrong number of arguments.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from './errors.js';
import { GLOBAL_OPTIONS, synopsis } from './usage.js';
import type { CommandDef, OptionDef, OptionValues } from './types.js';

export interface Globals {
  config?: string;
  url?: string;
  socket?: string;
  token?: string;
  json: boolean;
  help: boolean;
  version: boolean;
}

export interface CommandLine {
  /** undefined: no command given */
  cmd: CommandDef | undefined;
  args: string[];
  options: OptionValues;
  globals: Globals;
}

/** Marks `-1` as a value (scale APP -1), not a flag; removed once parsed. */
const NEGATIVE = '\u0000';

export function parseCommandLine(argv: string[], commands: readonly CommandDef[]): CommandLine {
  const result = parse(argv.map((a) => (/^-\d+$/.test(a) ? NEGATIVE + a : a)), commands);
  return { ...result, args: result.args.map(unmark), options: Object.fromEntries(Object.entries(result.options).map(([k, v]) => [k, unmark(v)])) };
}

function unmark<T>(v: T): T {
  return (typeof v === 'string' ? v.replaceAll(NEGATIVE, '') : Array.isArray(v) ? v.map(unmark) : v) as T;
}

function parse(argv: string[], commands: readonly CommandDef[]): CommandLine {
  // first pass, global flags only, to find the command whose flags the second pass must know
  const loose = parseArgs({ args: argv, options: forNode(GLOBAL_OPTIONS), allowPositionals: true, strict: false });
  const cmd = findCommand(loose.positionals.map((p) => p.replace(NEGATIVE, '')), commands);
  const own = cmd?.options ?? {};
  // a usage error about a known command shows that command's synopsis
  const wrong = (message: string) => usageError(unmark(cmd === undefined ? message : `${message}\nusage: tsgictl ${synopsis(cmd)}`));
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...forNode(GLOBAL_OPTIONS), ...forNode(own) }, allowPositionals: true, strict: true });
  } catch (err) {
    throw wrong(parseArgsMessage(err as Error & { code?: string }));
  }
  const { values, positionals } = parsed;
  const globals = values as unknown as Globals;
  const options = Object.fromEntries(Object.keys(own).map((k) => [k, values[k]])) as OptionValues;
  if (cmd === undefined || globals.help) return { cmd, args: [], options, globals };
  const args = positionals.slice(cmd.name.split(' ').length);
  if (args.length < cmd.min || args.length > cmd.max) throw wrong(`${cmd.name}: expected ${cmd.args || 'no arguments'}, got ${args.length === 0 ? 'nothing' : args.join(' ')}`);
  for (const [name, o] of Object.entries(own)) {
    if (o.required && values[name] === undefined) throw wrong(`${cmd.name}: --${name} is required`);
  }
  return { cmd, args, options, globals };
}

function findCommand(words: string[], commands: readonly CommandDef[]): CommandDef | undefined {
  if (words.length === 0) return undefined;
  const matches = commands.filter((c) => c.name.split(' ').every((w, i) => words[i] === w));
  const best = matches.sort((a, b) => b.name.length - a.name.length)[0];
  if (best !== undefined) return best;
  const group = commands.filter((c) => c.name.startsWith(`${words[0]} `)).map((c) => c.name.split(' ')[1]);
  if (group.length > 0) throw usageError(`${words[0]}: expected one of ${group.join(', ')}${words[1] ? `, got "${words[1]}"` : ''}`);
  throw usageError(`unknown command "${words[0]}"; one of: ${[...new Set(commands.map((c) => c.name.split(' ')[0]))].join(', ')}`);
}

function forNode(opts: Record<string, OptionDef>): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(
    Object.entries(opts).map(([name, o]) => [name, { type: o.type, ...(o.short !== undefined && { short: o.short }), ...(o.multiple && { multiple: true }) }]),
  );
}

/** node:util parseArgs' refusals, said as tsgictl says things (its own text names `-- "--x"` tricks and `<value>`). */
export function parseArgsMessage(err: Error & { code?: string }): string {
  const flag = /'(-{1,2}[^' ]+)/.exec(err.message)?.[1] ?? '';
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': return `unknown option ${flag}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': return /argument missing/.test(err.message) ? `${flag} needs a value` : `${flag} takes no value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': return `unexpected argument ${/'([^']+)'/.exec(err.message)?.[1] ?? ''}`.trimEnd();
    default: return err.message;
  }
}
