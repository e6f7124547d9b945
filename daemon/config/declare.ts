/**
 * The vocabulary settings.ts is written in: `setting()` declares one setting, `section()` a map of
 * them, and `ValuesOf` infers the parsed TypeScript type from the declarations, so the types of
 * Config and AppConfig never restate what settings.ts says.
 */
import type { JsonSchema, Kind, ParseContext } from './kinds.js';

/** A value as a user writes it (`'30s'`, `1`, `'.'`, `{}`); defaults are parsed like user input and shown as is. */
export type Raw = string | number | boolean | readonly Raw[] | { readonly [key: string]: Raw };

export type Presence = 'required' | 'optional' | 'defaulted';

export interface Setting<T = unknown, P extends Presence = Presence, W extends string = string> {
  readonly is: 'setting';
  readonly kind: Kind<T>;
  readonly presence: P;
  readonly default?: Raw;
  /** One line for the docs and the JSON schema. */
  readonly description: string;
  /** A value as a user writes it, when the type alone does not show it. */
  readonly example?: Raw;
  /**
   * For a limit a worker enforces as written: its name in the worker's spec (`limits.<worker>`),
   * where it arrives as parsed. The spec is derived from these (pool/worker-spec.ts).
   */
  readonly worker?: W;
}

interface SettingSpec<T, W extends string> {
  kind: Kind<T>;
  description: string;
  example?: Raw;
  worker?: W;
}

// NoInfer: `worker`'s literal name comes from the declaration, not from `section()`'s expected `string`
export function setting<T, W extends string = never>(spec: SettingSpec<T, W> & { default: Raw }): Setting<T, 'defaulted', NoInfer<W>>;
export function setting<T, W extends string = never>(spec: SettingSpec<T, W> & { required: true }): Setting<T, 'required', NoInfer<W>>;
export function setting<T, W extends string = never>(spec: SettingSpec<T, W>): Setting<T, 'optional', NoInfer<W>>;
export function setting<T, W extends string>(spec: SettingSpec<T, W> & { default?: Raw; required?: true }): Setting<T> {
  const { required, ...rest } = spec;
  const presence = spec.default !== undefined ? 'defaulted' : required ? 'required' : 'optional';
  return { is: 'setting', presence, ...rest };
}

/**
 * A setting's default, parsed as if a user had written it: for code that needs the value without
 * a config file to read it from (the admin API built in tests), so the default is never restated.
 */
export function parsedDefault<T>(s: Setting<T, 'defaulted'>, dir = '.'): T {
  return s.kind.parse(s.default, { dir, top: {} });
}

/** A check across several settings of one section, run after they are parsed. */
export interface Rule<V = Record<string, unknown>> {
  /** One line for the docs. */
  readonly description: string;
  /** The same rule for the JSON schema, when JSON schema can say it. */
  readonly schema?: JsonSchema;
  /** Throws a ValueError whose path is relative to the section. */
  check(values: V, ctx: ParseContext): void;
}

// `any`: a section holds settings of every value type; ValuesOf recovers each one by inference.
export type Fields = { readonly [key: string]: Setting<any> | Section<any> };

export interface Section<F extends Fields = Fields> {
  readonly is: 'section';
  readonly fields: F;
  readonly rules: readonly Rule[];
}

export function section<F extends Fields>(fields: F, rules: readonly NoInfer<Rule<ValuesOf<F>>>[] = []): Section<F> {
  return { is: 'section', fields, rules: rules as readonly Rule[] };
}

export type Simplify<T> = { [K in keyof T]: T[K] } & {};
type ValueOf<F> = F extends Setting<infer T> ? T : F extends Section<infer G> ? ValuesOf<G> : never;
type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K] extends Setting<unknown, 'optional'> ? K : never }[keyof F];

/** The parsed values of a section: optional settings become optional properties. */
export type ValuesOf<F extends Fields> = Simplify<
  { -readonly [K in Exclude<keyof F, OptionalKeys<F>>]: ValueOf<F[K]> } & { -readonly [K in OptionalKeys<F>]?: ValueOf<F[K]> }
>;
