/** What a tsgictl command is: a declaration, and a run that returns data or throws a coded error. */
import type { Client } from './client.js';
import type { Style } from './table.js';

export interface Output {
  /** what --json prints */
  json: unknown;
  /** what a person reads */
  text: string;
}

export interface Context {
  args: string[];
  client(): Client;
  style: Style;
}

export interface CommandDef {
  name: string;
  /** shown in usage, e.g. "APP|all" */
  args: string;
  description: string;
  /** how many positional arguments it takes */
  min: number;
  max: number;
  /** false for commands that need no daemon */
  daemon?: boolean;
  run(ctx: Context): Promise<Output>;
}
