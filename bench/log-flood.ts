/**
 * A worker floods its stdout: do lines get lost silently, and does tsgid's memory come back?
 * One worker writes LINES lines as fast as its pipe takes them; tsgid writes them to
 * `logs.dir` with `max_size: 64KB` (mode file), or to its own stdout, read by a slow pipe reader
 * (mode stdout); keep: 1000, so that every line can be counted. Reported: tsgid's RSS before, at its peak during, and 10 s after the flood; the
 * lines found in the log files (or read from stdout) plus those the drop notes count, which must
 * add up to LINES; and whether the last note is in the current file.
 *
 *   npm run build && node dist/bench/log-flood.js [--lines 1000000] [--mode file|stdout]
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { adminGet, freePort, machine, rssMB, scratch, sleep, stopTree, waitUntil } from './lib.js';

const { values } = parseArgs({ options: { lines: { type: 'string', default: '1000000' }, mode: { type: 'string', default: 'file' } } });
const LINES = Number(values.lines);
const MODE = values.mode === 'stdout' ? 'stdout' : 'file';

const FLOOD = `
export default (req, res) => {
  if (req.url !== '/flood') return res.end('ok');
  let i = 0;
  const pad = 'x'.repeat(40);
  const more = () => {
    while (i < ${LINES}) if (!process.stdout.write(\`flood \${i++} \${pad}\\n\`)) return void process.stdout.once('drain', more);
    process.stdout.write('flood done\\n', () => res.end('done'));
  };
  more();
};
`;

const dir = scratch('log-flood');
writeFileSync(join(dir, 'flood.mjs'), FLOOD);
const port = await freePort();
const logs = MODE === 'file' ? 'logs:\n  dir: logs\n  max_size: 64KB\n  keep: 1000\n' : '';
writeFileSync(join(dir, 'tsgi.yaml'), `admin: { listen: "unix:admin.sock" }\n${logs}apps:\n  f:\n    app: ./flood.mjs\n    listen: "127.0.0.1:${port}"\n    workers: 1\n`);
const proc = spawn(process.execPath, [join(import.meta.dirname, '../daemon/main.js'), '-c', join(dir, 'tsgi.yaml')], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
const socket = join(dir, 'admin.sock');
// stdout mode: a slow reader, 64 KB every 50 ms (~1.3 MB/s); file mode: read at once and discarded
let stdout = '';
proc.stdout.pause();
const reader = setInterval(() => {
  for (let chunk = proc.stdout.read() as Buffer | null, n = 0; chunk !== null && n < 4; chunk = proc.stdout.read() as Buffer | null, n++) {
    const text = chunk.toString();
    if (MODE === 'stdout') stdout += text;
  }
}, MODE === 'stdout' ? 50 : 1);

try {
  await waitUntil(async () => {
    const s = await adminGet<{ apps: Array<{ state: string }> }>(socket, '/v1/apps').catch(() => undefined);
    return s !== undefined && s.apps.length > 0 && s.apps.every((a) => a.state === 'running');
  }, 60_000);
  await sleep(2000);
  const before = rssMB(proc.pid!);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMB(proc.pid!))), 100);
  // answered once the worker has written its last line into the pipe to tsgid
  const started = Date.now();
  await new Promise<void>((resolve, reject) => request(`http://127.0.0.1:${port}/flood`, (res) => res.resume().on('end', resolve)).on('error', reject).end());
  const seconds = (Date.now() - started) / 1000;
  await sleep(10_000);
  clearInterval(sampler);
  const after = rssMB(proc.pid!);

  let kept = 0;
  let noted = 0;
  let lastNoteInCurrent = false;
  const count = (text: string): void => {
    for (const line of text.split('\n')) {
      if (/(^|[ "])flood (\d+ x+|done)/.test(line)) kept++;
      const m = /(\d+) line\(s\) .*dropped/.exec(line);
      if (m) noted += Number(m[1]);
    }
  };
  if (MODE === 'file') {
    for (const f of readdirSync(join(dir, 'logs'))) count(readFileSync(join(dir, 'logs', f), 'utf8'));
    lastNoteInCurrent = /dropped/.test(readFileSync(join(dir, 'logs', 'f.out.log'), 'utf8'));
  } else {
    count(stdout);
    lastNoteInCurrent = /dropped/.test(stdout.slice(-4096));
  }
  console.log(`log flood (${machine()}), mode ${MODE}, ${LINES} lines of 50 bytes, flood over in ${seconds.toFixed(1)} s`);
  console.log(`tsgid RSS: before ${before.toFixed(1)} MB, peak ${peak.toFixed(1)} MB, 10 s after ${after.toFixed(1)} MB`);
  console.log(`lines (with 'flood done') kept ${kept}, counted by drop notes ${noted}, unaccounted ${LINES + 1 - kept - noted}; a drop note at the end: ${lastNoteInCurrent}`);
} finally {
  clearInterval(reader);
  proc.stdout.resume();
  await stopTree(proc.pid!);
}
