/**
 * `${VAR}` and `${VAR:-default}` in string values, read from an env object passed in (so tests
 * are pure). As in a shell, the default applies when the variable is unset or empty.
 * `$${` writes a literal `${`.
 */
import { ValueError } from './issues.js';

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}|\$\{/g;

export function hasReference(text: string): boolean {
  return text.includes('${');
}

/** The variables a string refers to, defaults or not (`$${` is no reference). */
export function referencedNames(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(REFERENCE)) if (m[1] !== undefined) names.push(m[1]);
  return names;
}

export function interpolate(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(REFERENCE, (match, name: string | undefined, withDefault: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    if (name === undefined) throw new ValueError(`expected \${NAME} or \${NAME:-default}, got ${JSON.stringify(text)}`);
    const value = env[name];
    if (withDefault !== undefined) return value ? value : (fallback ?? '');
    if (value === undefined) {
      throw new ValueError(`environment variable ${name} is not set (write \${${name}:-default} to give a default)`, 'TSGI_ERR_CONFIG_ENV');
    }
    return value;
  });
}
