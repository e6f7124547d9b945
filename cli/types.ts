/** What a tsgictl command is: a declaration, and a run that returns data or throws a coded error. */
import type { Client } from './client.js';
import type { Style } from './table.js';
import type { Terminal } from './terminal.js';

export interface Output {
  /** what --json prints */
  json: unknown;
  /** what a person reads */
  text: string;
  /** 1 when the command ran but some of what it did failed (each failure is in the output) */
  exit?: 0 | 1;
  /** the command already printed everything, as it went (ctx.print): main prints nothing more */
  streamed?: boolean;
}

/** A flag of one command, declared once: parsed, checked and shown in usage from this. */
export interface OptionDef {
  type: 'string' | 'boolean';
  short?: string;
  /** shown in usage: `--workers N` */
  value?: string;
  required?: boolean;
  multiple?: boolean;
  description: string;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface Context {
  args: string[];
  /** the command's own options, by name */
  options: OptionValues;
  client(): Client;
  style: Style;
  /** -c FILE, when given */
  configFile: string | undefined;
  /** whether --json was given (a streaming command prints JSON lines as it goes) */
  json: boolean;
  /** print now, for a command that streams (tsgictl logs -f) */
  print(text: string): void;
  /** aborts on Ctrl-C; only a command that asks for it stops Ctrl-C from ending tsgictl at once */
  interrupted(): AbortSignal;
  /** the screen and keyboard, for a full-screen view (tsgictl top) */
  terminal(): Terminal;
}

export interface CommandDef {
  /** one word, or two for a group: "config check" */
  name: string;
  /** positional arguments as shown in usage, e.g. "APP|all" */
  args: string;
  description: string;
  /** how many positional arguments it takes */
  min: number;
  max: number;
  options?: Record<string, OptionDef>;
  run(ctx: Context): Promise<Output>;
}
