/**
 * docs/config.md, rendered from the declarations in settings.ts. Run as a script
 * (`npm run docs`, after building) to rewrite the file; a test checks it is up to date.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Raw, Section, Setting } from './declare.js';
import { appSection, topSection } from './settings.js';

const INTRO = `# Configuration

<!-- Generated from daemon/config/settings.ts by daemon/config/write-docs.ts (npm run docs). Do not edit. -->

tsgid reads one YAML file naming the apps it serves:

\`\`\`yaml
admin:
  listen: "unix:.tsgi/admin.sock"
apps:
  hello:
    app: ./examples/hello/app.ts
    listen: "127.0.0.1:8000"
    workers: 2
    env: { NODE_ENV: production }
  site:
    mounts: { "/api": "./api.ts", "/": "./site.ts:handler" }
    listen: ["127.0.0.1:8001", "unix:run/site.sock"]
\`\`\`

- Relative paths are resolved against the config file's directory; an app's modules against the app's \`cwd\`.
- \`\${VAR}\` in a string is replaced by the environment variable (an error if it is unset); \`\${VAR:-default}\` gives a default used when it is unset or empty; \`$\${\` writes a literal \`\${\`. An unquoted value that expands to a number or \`true\`/\`false\` is read as one.
- Unknown keys are errors. A key left empty (\`key:\`) takes its default.
- The admin API's \`POST /v1/apps\` takes one app in the same shape, as JSON (no \`\${VAR}\` expansion).
`;

export function renderConfigDocs(): string {
  return [
    INTRO,
    '## Top level\n',
    table(topSection),
    '## Apps (`apps.<name>`)\n',
    table(appSection),
    '## Value types\n',
    '| Type | Written as |',
    '|---|---|',
    ...formats(topSection, appSection).map(([type, format]) => `| ${cell(type)} | ${cell(format)} |`),
    '',
  ].join('\n');
}

function table(sec: Section): string {
  const rows = settings(sec).map(([key, s]) => `| \`${key}\` | ${cell(s.kind.type)} | ${cell(defaultOf(s))} | ${cell(describeSetting(s))} |`);
  const checks = rules(sec).map((r) => `- ${r}`);
  return ['| Key | Type | Default | Description |', '|---|---|---|---|', ...rows, '', ...(checks.length > 0 ? ['Also checked:', '', ...checks, ''] : [])].join('\n');
}

/** Every setting of a section and its subsections, with its dotted key. */
function settings(sec: Section, prefix = ''): [string, Setting][] {
  return Object.entries(sec.fields).flatMap(([key, field]): [string, Setting][] =>
    field.is === 'section' ? settings(field, `${prefix}${key}.`) : [[`${prefix}${key}`, field]],
  );
}

function rules(sec: Section): string[] {
  return [...sec.rules.map((r) => r.description), ...Object.values(sec.fields).flatMap((f) => (f.is === 'section' ? rules(f) : []))];
}

function formats(...sections: Section[]): [string, string][] {
  const seen = new Map<string, string>();
  for (const [, s] of sections.flatMap((sec) => settings(sec))) if (s.kind.format) seen.set(s.kind.type, s.kind.format);
  return [...seen];
}

function defaultOf(s: Setting): string {
  if (s.default !== undefined) return `\`${raw(s.default)}\``;
  return s.presence === 'required' ? '**required**' : '—';
}

function describeSetting(s: Setting): string {
  return s.example === undefined ? s.description : `${s.description} Example: \`${raw(s.example)}\``;
}

/** A value as it would be written in YAML (flow style for lists and maps). */
function raw(v: Raw): string {
  return typeof v === 'string' ? v : JSON.stringify(v).replaceAll('":"', '": "').replaceAll('","', '", "').replaceAll(/^\{"/g, '{ "').replaceAll(/"\}$/g, '" }');
}

function cell(s: string): string {
  return s.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = fileURLToPath(new URL('../../../docs/config.md', import.meta.url));
  writeFileSync(out, renderConfigDocs());
  console.log(`wrote ${out}`);
}
