/**
 * What adopting tsgi costs a project, against PM2: `npm install` of the packed tarball (what npm
 * publish would ship) and of pm2@6, each alone into an empty scratch project, with npm's cache
 * warm (a first run fills it): packages installed, size of node_modules on disk, wall time, and
 * any `npm warn` line. Then the same for tsgi with tsx (a TypeScript entry with no build step) and
 * with @swc/core (emitDecoratorMetadata, NestJS).
 *
 *   npm run build && node dist/bench/install-size.js [--rounds 3]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, machine, median, scratch } from './lib.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const rounds = Number(values.rounds);

interface Measure {
  packages: number;
  mb: number;
  seconds: number;
  warnings: string[];
}

function installOnce(specs: string[]): Measure {
  const dir = scratch('install');
  writeFileSync(join(dir, 'package.json'), '{"name":"scratch","version":"1.0.0","private":true}');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...specs], { cwd: dir, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`npm install ${specs.join(' ')} failed:\n${r.stderr}`);
  const ls = spawnSync('npm', ['ls', '--all', '--parseable'], { cwd: dir, encoding: 'utf8' }).stdout;
  // each installed package once (a path per package; the first line is the project itself)
  const packages = new Set(ls.split('\n').slice(1).filter(Boolean)).size;
  const kb = Number(execFileSync('du', ['-sk', join(dir, 'node_modules')], { encoding: 'utf8' }).split('\t')[0]);
  // npm 11's notice about dependencies' own install scripts (allowScripts), as the packages it names
  const lines = r.stderr.split('\n').filter((l) => /npm warn/i.test(l));
  const scripts = lines.map((l) => /^npm warn install-scripts\s+(\S+@\S+) \(/.exec(l)?.[1]).filter((p) => p !== undefined);
  const other = lines.filter((l) => !/^npm warn install-scripts/.test(l));
  return { packages, mb: kb / 1024, seconds, warnings: [...other, ...(scripts.length > 0 ? [`install-scripts notice: ${scripts.join(', ')}`] : [])] };
}

function measure(label: string, specs: string[]): void {
  installOnce(specs); // warm the cache
  const runs = Array.from({ length: rounds }, () => installOnce(specs));
  const last = runs.at(-1)!;
  console.log(
    `| ${label} | ${last.packages} | ${last.mb.toFixed(1)} MB | ${median(runs.map((r) => r.seconds)).toFixed(1)} s | ${last.warnings.length === 0 ? 'none' : last.warnings.join('; ')} |`,
  );
}

const packDir = scratch('pack');
const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], { cwd: ROOT, encoding: 'utf8' })) as Array<{ filename: string; size: number; unpackedSize: number; entryCount: number }>;
const tarball = join(packDir, packed[0]!.filename);
console.log(`${machine()}, npm ${execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim()}; median of ${rounds} warm-cache installs`);
console.log(`tarball: ${packed[0]!.entryCount} files, ${(packed[0]!.size / 1024).toFixed(0)} KB packed, ${(packed[0]!.unpackedSize / 1024).toFixed(0)} KB unpacked\n`);
console.log('| npm install … | packages | node_modules | time | warnings |');
console.log('|---|---|---|---|---|');
measure('tsgi (the tarball)', [tarball]);
measure('pm2@6', ['pm2@6']);
measure('tsgi + tsx', [tarball, 'tsx']);
measure('tsgi + @swc/core', [tarball, '@swc/core']);
