/**
 * The `admin:` section of a tsgid config, read without the yaml package, which takes ~40 ms to
 * load: half of what `tsgictl status` may spend in all. It reads the shapes configs use — a block
 * map or a one-line flow map of plain or quoted scalars — and answers undefined for anything else
 * (anchors, tags, multi-line values, several documents, ...), so the caller loads the yaml package
 * instead: never a different answer, at worst a slower one. test/cli-admin-yaml.test.ts compares
 * the two on every config the tests use.
 */

export interface AdminSection {
  listen?: unknown;
  token?: unknown;
  token_file?: unknown;
}

const KEYS = new Set(['listen', 'token', 'token_file']);
/** `key:` or `key: value`; the key a plain word, as tsgi's keys are */
const ENTRY = /^([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(?:[ \t]+(.*))?$/;
/** plain scalars YAML's core schema reads as something other than a string */
const NOT_A_STRING = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|true|True|TRUE|false|False|FALSE)$/;
const NULL = /^(?:~|null|Null|NULL)?$/;
const UNSURE = Symbol('unsure');
type Scalar = string | null | typeof UNSURE;

export function readAdminSection(text: string): AdminSection | undefined {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let admin: AdminSection | undefined;
  let inAdmin = false;
  let level = 0;
  let last: string | undefined;
  let content = false;
  for (const line of lines) {
    const indent = /^ */.exec(line)![0].length;
    const body = line.slice(indent);
    if (body === '' || body.startsWith('#')) continue;
    if (body.startsWith('\t')) return undefined;
    if (indent === 0) {
      if (/^---(?:[ \t]|$)/.test(body)) {
        if (content || body.slice(3).trim() !== '') return undefined;
        content = true;
        continue;
      }
      content = true;
      const m = ENTRY.exec(body);
      if (!m) return undefined;
      const [, key, rest = ''] = m;
      inAdmin = false;
      if (!closesOnItsLine(rest)) return undefined;
      if (key !== 'admin') continue;
      if (admin !== undefined) return undefined;
      const value = stripCommentOutsideQuotes(rest.trim());
      if (value.startsWith('{')) {
        admin = flowMap(value);
        if (admin === undefined) return undefined;
      } else if (NULL.test(value)) {
        admin = {};
        inAdmin = true;
        level = 0;
        last = undefined;
      } else {
        return undefined;
      }
      continue;
    }
    if (!inAdmin) continue;
    if (level === 0) level = indent;
    if (indent > level) {
      // a continuation of the previous value: fine if it is not one we read
      if (last !== undefined && KEYS.has(last)) return undefined;
      continue;
    }
    if (indent < level) return undefined;
    const m = ENTRY.exec(body);
    if (!m) return undefined;
    const [, key = '', rest = ''] = m;
    last = key;
    if (!KEYS.has(key)) {
      if (!closesOnItsLine(rest)) return undefined;
      continue;
    }
    if (Object.hasOwn(admin!, key)) return undefined;
    const value = scalar(rest);
    if (value === UNSURE) return undefined;
    admin![key as keyof AdminSection] = value;
  }
  return admin ?? {};
}

/** `{ listen: "unix:x.sock", token: abc }` on one line. */
function flowMap(text: string): AdminSection | undefined {
  if (!text.endsWith('}')) return undefined;
  const out: AdminSection = {};
  const inner = text.slice(1, -1).trim();
  if (inner === '') return out;
  for (const part of splitOutsideQuotes(inner)) {
    if (part === undefined) return undefined;
    const m = /^([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(?:[ \t]+(.*))?$/.exec(part.trim());
    if (!m) return undefined;
    const [, key = '', rest = ''] = m;
    if (Object.hasOwn(out, key)) return undefined;
    if (/[[\]{}]/.test(rest.replace(/"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'/g, ''))) return undefined;
    const value = scalar(rest);
    if (value === UNSURE) return undefined;
    if (KEYS.has(key)) out[key as keyof AdminSection] = value;
  }
  return out;
}

function splitOutsideQuotes(s: string): Array<string | undefined> {
  const parts: Array<string | undefined> = [];
  let start = 0;
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote === '"' && c === '\\') i++;
    else if (quote !== undefined && c === quote) quote = undefined;
    else if (quote === undefined && (c === '"' || c === "'")) quote = c;
    else if (quote === undefined && c === ',') {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (quote !== undefined) return [undefined];
  const tail = s.slice(start);
  if (tail.trim() !== '') parts.push(tail);
  return parts;
}

/** One value on one line: a quoted string, a plain string, or nothing (null). */
function scalar(raw: string): Scalar {
  const s = raw.trim();
  if (s.startsWith('"') || s.startsWith("'")) {
    const end = closingQuote(s);
    if (end < 0 || stripComment(s.slice(end + 1)) !== '') return UNSURE;
    const inner = s.slice(1, end);
    if (s[0] === "'") return inner.replaceAll("''", "'");
    if (!inner.includes('\\')) return inner;
    try {
      return JSON.parse(`"${inner}"`) as string;
    } catch {
      return UNSURE;
    }
  }
  const plain = stripComment(s);
  if (NULL.test(plain)) return null;
  if (/^[&*!|>{}[\]%@`,#]|^[-?:](?:[ \t]|$)|:[ \t]|:$/.test(plain) || NOT_A_STRING.test(plain)) return UNSURE;
  return plain;
}

function closingQuote(s: string): number {
  const q = s[0];
  for (let i = 1; i < s.length; i++) {
    if (q === '"' && s[i] === '\\') i++;
    else if (s[i] === q) {
      if (q === "'" && s[i + 1] === "'") i++;
      else return i;
    }
  }
  return -1;
}

/** A plain value's comment starts at a `#` after whitespace. */
function stripComment(s: string): string {
  const m = /(^|[ \t])#/.exec(s);
  return (m ? s.slice(0, m.index) : s).trim();
}

/** Whether a top-level value ends on its line (no open quote or bracket); block scalars do, their lines are indented. */
function closesOnItsLine(rest: string): boolean {
  const s = stripCommentOutsideQuotes(rest.trim());
  if (s.startsWith('"') || s.startsWith("'")) {
    const end = closingQuote(s);
    return end >= 0;
  }
  if (!s.startsWith('{') && !s.startsWith('[')) return true;
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote === '"' && c === '\\') i++;
    else if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return depth === 0 && quote === undefined;
}

function stripCommentOutsideQuotes(s: string): string {
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote === '"' && c === '\\') i++;
    else if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || s[i - 1] === ' ' || s[i - 1] === '\t')) return s.slice(0, i).trim();
  }
  return s;
}
