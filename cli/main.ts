#!/usr/bin/env node
/**
 * tsgictl: the only place that prints and exits. Commands are declarations (cli/commands/*) that
 * return data or throw coded errors; here they become text or --json, and an exit status:
 * 0 ok, 1 the action failed, 2 usage or invalid input, 3 cannot reach the daemon.
 */
import { isTsgiError } from '../daemon/errors.js';
import { parseCommandLine } from './args.js';
import { createClient, type Client } from './client.js';
import { add, remove } from './commands/apps.js';
import { configCheck, configDiff, configReload } from './commands/config.js';
import { upgrade } from './commands/upgrade.js';
import { help, version } from './commands/info.js';
import { importPm2 } from './commands/import.js';
import { completion } from './commands/completion.js';
import { init } from './commands/init.js';
import { ready } from './commands/ready.js';
import { logs } from './commands/logs.js';
import { restart, reload, scale, start, stop } from './commands/actions.js';
import { runJob } from './commands/run.js';
import { status } from './commands/status.js';
import { top } from './commands/top.js';
import { findDaemon } from './find-daemon.js';
import { styleFor } from './table.js';
import { realTerminal } from './terminal.js';
import type { CommandDef } from './types.js';
import { commandUsage, usage } from './usage.js';

const COMMANDS: CommandDef[] = [init, status, ready, top, start, stop, restart, reload, scale, runJob, logs, add, remove, configReload, configDiff, configCheck, importPm2, upgrade, version];
const HELP = help(COMMANDS);
const ALL: CommandDef[] = [...COMMANDS, HELP, completion([...COMMANDS, HELP])];

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    const line = parseCommandLine(argv, ALL);
    const { globals } = line;
    const cmd = line.cmd ?? (globals.version ? version : undefined);
    if (cmd === undefined) {
      (globals.help ? process.stdout : process.stderr).write(usage(COMMANDS));
      return globals.help ? 0 : 2;
    }
    if (globals.help) {
      process.stdout.write(commandUsage(cmd));
      return 0;
    }
    let client: Client | undefined;
    const out = await cmd.run({
      args: line.args,
      options: line.options,
      style: styleFor(process.stdout),
      configFile: globals.config,
      client: () => (client ??= createClient(() => findDaemon(globals))),
      json: globals.json,
      print: (text) => void process.stdout.write(text),
      interrupted: () => {
        const ctl = new AbortController();
        process.once('SIGINT', () => ctl.abort());
        return ctl.signal;
      },
      terminal: () => realTerminal(process.stdin, process.stdout),
    });
    if (!out.streamed) process.stdout.write(globals.json ? `${JSON.stringify(out.json, null, 2)}\n` : out.text);
    return out.exit ?? 0;
  } catch (err) {
    if (!isTsgiError(err)) {
      process.stderr.write(`tsgictl: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      return 1;
    }
    if (json) process.stdout.write(`${JSON.stringify(err.toJSON(), null, 2)}\n`);
    else process.stderr.write(`tsgictl: ${err.message}\n${err.code === 'TSGI_ERR_CLI_USAGE' && !err.message.includes('\nusage:') ? 'Run tsgictl --help for usage.\n' : ''}`);
    return err.exit;
  }
}

// `tsgictl status | head -1`: a reader that goes away early is not an error
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});
process.exitCode = await main(process.argv.slice(2));
