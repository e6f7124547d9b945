/**
 * YAML text → plain values, plus where each key path sits in the text.
 *
 * We walk the document ourselves (rather than `toJS()`) to record a line and column for every
 * key and value, and to expand `${VAR}` per string scalar with the position still at hand.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { TsgiError } from '../errors.js';
import { interpolate, hasReference, referencedNames } from './interpolate.js';
import { combine, formatIssue, setOwn, ValueError, type Path, type Position } from './issues.js';

export interface YamlSource {
  value: unknown;
  /** problems found while reading values (an unset `${VAR}`): the value is kept as written */
  problems: ValueError | undefined;
  /** The nearest recorded position for a key path (falls back to the closest ancestor). */
  locate(path: Path, target: 'key' | 'value'): Position | undefined;
  /** Whether the key path is in the text. */
  has(path: Path): boolean;
  /** every `${VAR}` expanded, and where: which variables belong to which app (worker-env.ts) */
  references: EnvReference[];
}

export interface EnvReference {
  name: string;
  path: Path;
}

/** More nodes than this means alias expansion ran away ("billion laughs"). */
const MAX_NODES = 100_000;

export function readYaml(text: string, file: string, env: NodeJS.ProcessEnv): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): Position | undefined => (offset === undefined ? undefined : lineCounter.linePos(offset));
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const pos = at(syntaxOffset(text, e.code, e.message, e.pos[0]));
      return `${file}:${pos?.line}:${pos?.col}: invalid YAML: ${syntaxMessage(text, e.code, e.message, e.pos[0])}`;
    });
    throw new TsgiError('TSGI_ERR_CONFIG_YAML', lines.join('\n'), { cause: doc.errors[0] });
  }
  const problems: ValueError[] = [];

  const positions = new Map<string, { key?: Position; value?: Position }>();
  const references: EnvReference[] = [];
  let visited = 0;
  const walk = (node: unknown, path: Path, active: Set<unknown>): unknown => {
    if (++visited > MAX_NODES) throw new ValueError(`expected at most ${MAX_NODES} values, got more (alias expansion?)`, undefined, path);
    const entry = positions.get(key(path)) ?? {};
    entry.value ??= at((node as { range?: [number] } | null)?.range?.[0]);
    positions.set(key(path), entry);
    if (isAlias(node)) {
      const target = node.resolve(doc as Document);
      if (active.has(target)) throw new ValueError(`expected a value, got an alias to itself (*${node.source})`, undefined, path);
      return walk(target, path, new Set(active).add(target));
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        if (!isScalar(pair.key)) throw new ValueError('expected a plain key, got a complex key', undefined, path);
        const name = String(pair.key.value);
        positions.set(key([...path, name]), { key: at(pair.key.range?.[0]) });
        setOwn(out, name, walk(pair.value, [...path, name], active));
      }
      return out;
    }
    if (isSeq(node)) return node.items.map((item, i) => walk(item, [...path, i], active));
    if (isScalar(node)) {
      if (typeof node.value === 'string') for (const name of referencedNames(node.value)) references.push({ name, path });
      try {
        return scalar(node.value, node.type, path, env);
      } catch (err) {
        if (!(err instanceof ValueError)) throw err;
        problems.push(err);
        return node.value;
      }
    }
    return null;
  };

  let value: unknown;
  try {
    value = walk(doc.contents, [], new Set());
  } catch (err) {
    if (!(err instanceof ValueError)) throw err;
    throw new TsgiError(err.code, formatIssue(file, locate(err.at, err.target), err.at, err.message), { cause: err });
  }
  function locate(path: Path, target: 'key' | 'value'): Position | undefined {
    for (let n = path.length; n >= 0; n--) {
      const p = positions.get(key(path.slice(0, n)));
      const pos = target === 'key' ? (p?.key ?? p?.value) : (p?.value ?? p?.key);
      if (pos) return pos;
    }
    return undefined;
  }
  return { value, problems: combine(problems), locate, has: (path) => positions.has(key(path)), references };
}

/**
 * Where a syntax error is: the yaml parser reports an unclosed `[`, `{` or quote where it gave
 * up, at the end of the text or the next line; the line to fix is the one that opened it.
 */
function syntaxOffset(text: string, code: string, message: string, offset: number): number {
  if (code === 'MISSING_CHAR' && /quote/.test(message)) {
    const quote = /'/.test(message.split('\n')[0]!) && !/"/.test(message.split('\n')[0]!) ? "'" : '"';
    const open = text.lastIndexOf(quote, offset - 1);
    return open === -1 ? offset : open;
  }
  const close = /end with an? ([\]}])/.exec(message)?.[1];
  if (close !== undefined) {
    const openChar = close === ']' ? '[' : '{';
    let depth = 0;
    for (let i = Math.min(offset, text.length) - 1; i >= 0; i--) {
      if (text[i] === close) depth++;
      else if (text[i] === openChar && depth-- === 0) return i;
    }
  }
  return offset;
}

/** The parser's first line, and for a repeated key the key itself. */
function syntaxMessage(text: string, code: string, message: string, offset: number): string {
  const first = message.split('\n')[0] ?? code;
  if (code !== 'DUPLICATE_KEY') return first;
  const m = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^:#\n]+?)\s*:/.exec(text.slice(offset));
  const name = m?.[1]?.replace(/^["']|["']$/g, '');
  return name === undefined ? first : `the key "${name}" is given twice in the same map (${first.toLowerCase()})`;
}

function key(path: Path): string {
  return JSON.stringify(path);
}

/**
 * A string scalar has its `${VAR}`s expanded. An unquoted one that expands to a number, true/false
 * or nothing is then read as that, as if the value had been written in place: `workers: ${N:-2}`.
 */
function scalar(value: unknown, type: string | undefined, path: Path, env: NodeJS.ProcessEnv): unknown {
  if (typeof value !== 'string' || !hasReference(value)) return value;
  let text: string;
  try {
    text = interpolate(value, env);
  } catch (err) {
    throw err instanceof ValueError ? err.under(...path) : err;
  }
  if (type !== 'PLAIN') return text;
  if (text === '') return null;
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}
