/**
 * tsgictl init [DIR]: a commented tsgi.yaml for the app the project folder holds (see
 * cli/init-detect.ts), the entry file a NestJS or Next.js project needs, and `.tsgi/` in
 * .gitignore. Refuses to overwrite an existing config unless --force. Needs no daemon.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TsgiError } from '../../daemon/errors.js';
import { configText, detectApp } from '../init-detect.js';
import type { CommandDef } from '../types.js';

export const init: CommandDef = {
  name: 'init',
  args: '[DIR]',
  description: 'Write a commented tsgi.yaml (or -c FILE) for the app in DIR (default: here), and add .tsgi/ to .gitignore',
  min: 0,
  max: 1,
  options: { force: { type: 'boolean', description: 'overwrite an existing config file' } },
  async run({ args, options, configFile }) {
    const dir = path.resolve(args[0] ?? '.');
    const file = path.resolve(dir, configFile ?? 'tsgi.yaml');
    if (existsSync(file) && options.force !== true) {
      throw new TsgiError('TSGI_ERR_CLI_USAGE', `${file} exists; --force overwrites it`);
    }
    const found = detectApp(dir);
    if (found === undefined) {
      throw new TsgiError(
        'TSGI_ERR_CLI_USAGE',
        `${dir}: no app found (no NestJS or Next.js dependency, no package.json "main" or "start" script file, no server/app/index .ts/.js); write tsgi.yaml by hand, see docs/config.md`,
      );
    }
    const written: string[] = [];
    for (const [rel, text] of Object.entries(found.entries)) {
      const target = path.join(dir, rel);
      if (existsSync(target)) continue;
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, text);
      written.push(rel);
    }
    writeFileSync(file, configText(found));
    written.unshift(path.relative(dir, file));
    if (ignoreTsgiDir(dir)) written.push('.gitignore');
    const start = configFile === undefined ? 'npx tsgid' : `npx tsgid -c ${configFile}`;
    const text = [
      `found a ${found.kind === 'module' ? 'Node app' : found.kind === 'nestjs' ? 'NestJS app' : 'Next.js app'}: ${found.app}`,
      `wrote ${written.join(', ')}`,
      ...found.notes.map((n) => `note: ${n}`),
      `next: ${start}   (then: curl localhost:8000/, npx tsgictl status)`,
    ].join('\n');
    return { json: { file, app: found.name, module: found.app, kind: found.kind, written, notes: found.notes }, text: `${text}\n` };
  },
};

/** Adds `.tsgi/` (pidfile, admin socket, token) to .gitignore; true when it changed the file. */
function ignoreTsgiDir(dir: string): boolean {
  const file = path.join(dir, '.gitignore');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (/^\/?\.tsgi\/?\s*$/m.test(text)) return false;
  appendFileSync(file, `${text === '' || text.endsWith('\n') ? '' : '\n'}# tsgid's pidfile, admin socket and token\n.tsgi/\n`);
  return true;
}
