#!/usr/bin/env node
/**
 * tsgictl: the only place that prints and exits. Commands are declarations (cli/commands/*) that
 * return data or throw coded errors; here they become text or --json, and an exit status:
 * 0 ok, 1 the action failed, 2 usage, 3 cannot reach the daemon.
 */
import { parseArgs } from 'node:util';
import { isTsgiError } from '../daemon/errors.js';
import { createClient, type Client } from './client.js';
import { restart, reload, scale, start, stop } from './commands/actions.js';
import { status } from './commands/status.js';
import { usageError } from './errors.js';
import { findDaemon } from './find-daemon.js';
import { styleFor } from './table.js';
import type { CommandDef } from './types.js';

const COMMANDS: CommandDef[] = [status, start, stop, restart, reload, scale];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => `${c.name} ${c.args}`.length));
  const lines = COMMANDS.map((c) => `  ${`${c.name} ${c.args}`.padEnd(width)}  ${c.description}`);
  return `Usage: tsgictl [options] COMMAND [ARGS]

Commands:
${lines.join('\n')}

Options:
  -c, --config FILE   read the admin address and token from this tsgid config (default ./tsgi.yaml)
      --url URL       the admin API: http://HOST:PORT or unix:PATH (or TSGI_URL)
      --socket PATH   the admin API's unix socket
      --token TOKEN   bearer token for a TCP admin API (or TSGI_TOKEN)
      --json          print JSON for scripts
  -h, --help          show this help
`;
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        url: { type: 'string' },
        socket: { type: 'string' },
        token: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help || positionals.length === 0) {
      process.stdout.write(usage());
      return values.help ? 0 : 2;
    }
    const [name, ...args] = positionals as [string, ...string[]];
    const cmd = COMMANDS.find((c) => c.name === name);
    if (cmd === undefined) throw usageError(`unknown command "${name}"; one of: ${COMMANDS.map((c) => c.name).join(', ')}`);
    if (args.length < cmd.min || args.length > cmd.max) throw usageError(`usage: tsgictl ${cmd.name} ${cmd.args}`);
    let client: Client | undefined;
    const out = await cmd.run({
      args,
      style: styleFor(process.stdout),
      client: () => (client ??= createClient(findDaemon(values))),
    });
    process.stdout.write(values.json ? `${JSON.stringify(out.json, null, 2)}\n` : out.text);
    return 0;
  } catch (err) {
    if (isTsgiError(err)) {
      if (json) process.stdout.write(`${JSON.stringify(err.toJSON(), null, 2)}\n`);
      else process.stderr.write(`tsgictl: ${err.message}${err.code === 'TSGI_ERR_CLI_USAGE' ? '\n' + usage() : '\n'}`);
      return err.exit;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`tsgictl: ${e.message}\n${usage()}`);
      return 2;
    }
    process.stderr.write(`tsgictl: ${e.stack ?? String(err)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
