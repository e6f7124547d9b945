/**
 * The work of `tsgictl import` (commands/import.ts): read a PM2 ecosystem file, map its apps, write
 * the YAML with a comment on each setting. Loaded only when that command runs, so the other commands
 * start without the yaml package and the settings.
 */
import { writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Document, isScalar, type Pair, type YAMLMap } from 'yaml';
import { readEcosystem } from './pm2-ecosystem.js';
import { mapApp, type AppMapping } from './pm2-map.js';
import type { Output } from './types.js';

export async function importEcosystem(file: string, out: string | undefined, envName: string | undefined): Promise<Output> {
    const apps = await readEcosystem(file);
    const mappings = apps.map((app, i) => mapApp(app, i, { base: dirname(file), outDir: out === undefined ? process.cwd() : dirname(out), ...(envName !== undefined && { envName }) }));
    const yaml = toYaml(basename(file), mappings, envName);
    const report = reportOf(mappings);
    const json = { file, out, apps: mappings.map(({ name, skipped, unmapped }) => ({ name, imported: skipped === undefined, skipped, unmapped })), yaml };
    if (out === undefined) return { json, text: yaml };
    writeFileSync(out, yaml, { mode: 0o640 });
    return { json, text: `wrote ${out}: ${mappings.filter((m) => m.settings).length} of ${mappings.length} apps\n${report}` };
}

function toYaml(source: string, mappings: readonly AppMapping[], envName: string | undefined): string {
  const imported = mappings.filter((m) => m.settings !== undefined);
  const doc = new Document({ apps: Object.fromEntries(imported.map((m) => [m.name, Object.fromEntries(m.settings!.map((s) => [s.key, s.value]))])) });
  doc.commentBefore = ` Imported from ${source} by tsgictl import${envName ? ` --env ${envName}` : ''}. Check it with: tsgictl config check FILE`;
  const apps = doc.get('apps') as YAMLMap;
  for (const m of imported) {
    const pair = apps.items.find((p) => isScalar(p.key) && p.key.value === m.name)!;
    if (m.unmapped.length > 0) setComment(pair, `PM2 app "${m.name}". Not mapped:\n${m.unmapped.map((u) => ` - ${u.option}: ${u.why}`).join('\n')}`);
    for (const item of (pair.value as YAMLMap).items) {
      const comment = m.settings!.find((s) => isScalar(item.key) && s.key === item.key.value)?.comment;
      if (comment !== undefined) setComment(item, `from ${comment}`);
    }
  }
  const skipped = mappings.filter((m) => m.skipped !== undefined);
  if (skipped.length > 0) doc.comment = ` Not imported:\n${skipped.map((m) => ` - ${m.name}: ${m.skipped}`).join('\n')}`;
  return doc.toString({ lineWidth: 0 });
}

function setComment(pair: Pair, text: string): void {
  const key = pair.key as { commentBefore?: string };
  key.commentBefore = text
    .split('\n')
    .map((line) => ` ${line}`)
    .join('\n');
}

function reportOf(mappings: readonly AppMapping[]): string {
  const lines: string[] = [];
  for (const m of mappings) {
    if (m.skipped !== undefined) lines.push(`${m.name}: not imported: ${m.skipped}`);
    for (const u of m.unmapped) lines.push(`${m.name}: ${u.option}: not mapped: ${u.why}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
