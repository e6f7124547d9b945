/**
 * An app's `env_file`: dotenv lines, `NAME=value`, read by tsgid at every worker spawn so a
 * rotated secret reaches new workers on `tsgictl reload`.
 *
 * Our own strict parser rather than the `dotenv` package or util.parseEnv: both skip a line they
 * cannot read without a word (a secret lost to a typo, found in production), util.parseEnv only
 * exists from Node 20.12 (the floor is 20.6) and its rules changed between 20 and 22. This one
 * takes what both agree on and names the line of anything else.
 *  - `NAME=value`, `export NAME=value`; blank lines and `# comments` skipped
 *  - unquoted: trimmed, a ` #` starts a comment
 *  - 'single': literal; "double": `\n` `\r` `\t` `\"` `\\` escapes; either may span lines (PEM keys)
 */
import { readFileSync, statSync } from 'node:fs';
import type { Rule } from './declare.js';
import { ValueError } from './issues.js';

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

/** `where` names the file in errors; a line number is added. */
export function parseEnvFile(text: string, where: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const lines = text.replace(/^\uFEFF/, '').split('\n').map((l) => l.replace(/\r$/, ''));
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*(#.*)?$/.test(line)) continue;
    const m = LINE.exec(line);
    // the line itself is not quoted back: it may be a secret with a typo
    if (m === null) throw new ValueError(`${where}:${i + 1}: expected NAME=value, a # comment or a blank line`, 'TSGI_ERR_CONFIG_ENV_FILE');
    const name = m[1]!;
    let rest = m[2]!;
    const quote = rest[0];
    if (quote !== '"' && quote !== "'") {
      out[name] = rest.replace(/\s+#.*$/, '').trim();
      continue;
    }
    // a quoted value ends at its closing quote, maybe some lines down
    const start = i;
    let body = rest.slice(1);
    let end = closing(body, quote);
    while (end < 0 && i + 1 < lines.length) {
      body += `\n${lines[++i]!}`;
      end = closing(body, quote);
    }
    if (end < 0) throw new ValueError(`${where}:${start + 1}: ${name}: the ${quote} quote is never closed`, 'TSGI_ERR_CONFIG_ENV_FILE');
    rest = body.slice(end + 1);
    if (!/^\s*(#.*)?$/.test(rest)) throw new ValueError(`${where}:${i + 1}: ${name}: expected nothing but a comment after the closing quote`, 'TSGI_ERR_CONFIG_ENV_FILE');
    const value = body.slice(0, end);
    out[name] = quote === "'" ? value : value.replace(/\\(.)/g, (all, c: string) => ESCAPES[c] ?? all);
  }
  return { ...out };
}

function closing(body: string, quote: string): number {
  for (let i = 0; i < body.length; i++) {
    if (quote === '"' && body[i] === '\\') i++;
    else if (body[i] === quote) return i;
  }
  return -1;
}

/** Reads and parses it now; errors name the file (and line). */
export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ValueError(`cannot read ${file} (${reason})`, 'TSGI_ERR_CONFIG_ENV_FILE');
  }
  return parseEnvFile(text, file);
}

/** Why a file of secrets is open to more than its owner, or undefined. */
export function envFileExposure(file: string): string | undefined {
  let mode: number;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    return undefined;
  }
  if ((mode & 0o077) === 0) return undefined;
  return `${file} has mode 0${mode.toString(8)}, readable by ${(mode & 0o004) !== 0 ? 'every user' : 'its group'}; chmod 600 it`;
}

/** Checked at every load of the config: a missing or malformed file is refused before any worker needs it. */
export const envFileReadable: Rule<{ env_file?: string }> = {
  description: '`env_file`, when set, is readable and in dotenv format.',
  check(values) {
    if (values.env_file === undefined) return;
    try {
      readEnvFile(values.env_file);
    } catch (err) {
      throw err instanceof ValueError ? err.under('env_file') : err;
    }
  },
};
