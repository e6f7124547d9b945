/**
 * AJV's refusals in words a user reads: "workers must be an integer from 1 to 128, or "+N" / "-N"",
 * not "body/workers must be >= 1, body/workers must be string, body/workers must match a schema in
 * anyOf". The schema that refused (found from AJV's schemaPath in the route's own schema) says
 * what was allowed; the tsgictl user and the dashboard see only this sentence.
 */

type Schema = Record<string, unknown>;

export interface AjvError {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  params: Record<string, unknown>;
  message?: string;
}

const PLACES: Record<string, string> = { body: 'the body', querystring: 'the query string', params: 'the path', headers: 'the headers' };

export function validationMessage(errors: readonly AjvError[], context: string | undefined, schema: Schema | undefined): string {
  // AJV lists an anyOf's branches first, then the anyOf: the last error is the outermost
  const e = errors.at(-1);
  if (e === undefined) return 'invalid input';
  const where = PLACES[context ?? ''] ?? context ?? 'the input';
  const field = e.instancePath === '' ? where : e.instancePath.slice(1).replaceAll('/', '.');
  if (e.keyword === 'required') return `${field} needs "${String(e.params.missingProperty)}"`;
  if (e.keyword === 'additionalProperties') return `${field}: unknown key "${String(e.params.additionalProperty)}"`;
  const parent = schema === undefined ? undefined : resolve(schema, e.schemaPath.split('/').slice(1, -1));
  if (parent === undefined) return `${field} ${e.message ?? 'is invalid'}`;
  return `${field} must be ${describe(parent)}`;
}

function resolve(schema: Schema, path: string[]): Schema | undefined {
  let at: unknown = schema;
  for (const p of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[decodeURIComponent(p.replaceAll('~1', '/').replaceAll('~0', '~'))];
  }
  return at !== null && typeof at === 'object' ? (at as Schema) : undefined;
}

/** What a schema allows, as a phrase: "an integer from 1 to 128", "one of "out", "err"". */
export function describe(s: Schema): string {
  if (typeof s.title === 'string') return s.title;
  const alts = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (Array.isArray(alts)) return alts.map(describe).join(', or ');
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  const types = [s.type].flat().filter((t): t is string => typeof t === 'string');
  if (types.length > 1) return types.map((t) => describe({ ...s, type: t })).join(' or ');
  const min = s.minimum as number | undefined;
  const max = s.maximum as number | undefined;
  switch (types[0]) {
    case 'integer':
    case 'number': {
      const a = types[0] === 'integer' ? 'an integer' : 'a number';
      if (min !== undefined && max !== undefined) return `${a} from ${min} to ${max}`;
      if (min !== undefined) return `${a} of at least ${min}`;
      if (max !== undefined) return `${a} of at most ${max}`;
      return a;
    }
    case 'string': {
      const parts = ['a string'];
      if (typeof s.minLength === 'number' && s.minLength > 0) parts.push(`of at least ${s.minLength} characters`);
      if (typeof s.maxLength === 'number') parts.push(`of at most ${s.maxLength} characters`);
      if (typeof s.pattern === 'string') parts.push(`matching ${s.pattern}`);
      return parts.join(' ');
    }
    case 'boolean': return 'true or false';
    case 'array': return 'a list';
    case 'object': return 'an object';
    case 'null': return 'null';
    default: return 'valid';
  }
}
