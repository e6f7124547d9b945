/**
 * Parses plain values (from YAML or JSON) against a section of declarations: unknown keys,
 * defaults, required keys, each setting's kind, then the section's rules.
 */
import type { Fields, Section, ValuesOf } from './declare.js';
import { collect, combine, describe, isPlainMap, setOwn, ValueError } from './issues.js';
import { sectionSchema } from './json-schema.js';
import type { Kind, ParseContext } from './kinds.js';

/**
 * Fills `into` (a fresh object unless given) in declaration order and returns it; errors carry a
 * key path relative to the section. Every problem is found before one error (holding them all,
 * see ValueError.others) is thrown; the section's rules run once its settings are all valid.
 */
export function parseSection<F extends Fields>(sec: Section<F>, raw: unknown, ctx: ParseContext, into: Record<string, unknown> = {}): ValuesOf<F> {
  const allowed = Object.keys(sec.fields);
  const given = raw ?? {};
  if (!isPlainMap(given)) throw new ValueError(`expected a map with keys ${allowed.join(', ')}, got ${describe(raw)}`);
  const unknown = Object.keys(given)
    .filter((key) => !Object.hasOwn(sec.fields, key))
    .map((key) => new ValueError(unknownKey(key, allowed), undefined, [key], 'key'));
  const errors: ValueError[] = [];
  for (const [key, field] of Object.entries(sec.fields)) {
    const value = given[key];
    collect(errors, () => {
      if (field.is === 'section') into[key] = parseSection(field, value, ctx);
      else if (value !== undefined && value !== null) into[key] = field.kind.parse(value, ctx);
      else if (field.default !== undefined) into[key] = field.kind.parse(field.default, ctx);
      else if (field.presence === 'required') throw new ValueError(`required key is missing (${field.kind.type})`, undefined, [], 'key');
    }, key);
  }
  // a rule reads settings that parsed: with one missing it would report nonsense (an unknown key
  // changes no setting, so the rules still run)
  if (errors.length === 0) for (const rule of sec.rules) collect(errors, () => rule.check(into, ctx));
  const err = combine([...unknown, ...errors]);
  if (err) throw err;
  return into as ValuesOf<F>;
}

/** A map of names → sections (the `apps` map, of `noun`s); each entry also gets its `name`. */
export function namedSections<F extends Fields>(
  sec: Section<F>,
  noun: string,
  name: { pattern: RegExp; maxLength: number },
): Kind<Record<string, { name: string } & ValuesOf<F>>> {
  return {
    type: `map of name → ${noun}`,
    schema: {
      type: 'object',
      propertyNames: { pattern: name.pattern.source, maxLength: name.maxLength },
      additionalProperties: sectionSchema(sec),
    },
    parse(v, ctx) {
      if (!isPlainMap(v)) throw new ValueError(`expected a map of names to ${noun}s, got ${describe(v)}`);
      const out: Record<string, { name: string } & ValuesOf<F>> = {};
      const errors: ValueError[] = [];
      for (const [key, item] of Object.entries(v)) {
        collect(errors, () => checkName(key, name));
        collect(errors, () => setOwn(out, key, { name: key, ...parseSection(sec, item, ctx) }), key);
      }
      const err = combine(errors);
      if (err) throw err;
      return out;
    },
  };
}

export function checkName(key: string, name: { pattern: RegExp; maxLength: number }): void {
  if (name.pattern.test(key) && key.length <= name.maxLength) return;
  const expected = `expected a name matching ${name.pattern.source} of at most ${name.maxLength} characters`;
  throw new ValueError(`${expected}, got ${describe(key)}`, undefined, [key], 'key');
}

function unknownKey(key: string, allowed: readonly string[]): string {
  const near = closest(key, allowed);
  return `unknown key${near ? ` (did you mean "${near}"?)` : ''}; expected one of ${allowed.join(', ')}`;
}

/** The allowed key within a typo's reach: edit distance ≤ 2, and less than half the word. */
function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: { word: string; d: number } | undefined;
  for (const word of allowed) {
    const d = distance(key.toLowerCase(), word);
    if (d <= 2 && d < word.length / 2 && (!best || d < best.d)) best = { word, d };
  }
  return best?.word;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
