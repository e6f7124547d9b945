// A scheduled job's schedule and last runs (an app with `cron`): the `job` of its status, as
// `tsgictl status` prints it. Start times are local, 24-hour, ISO 8601 date (util.js's stamp).

import { duration, el, stamp } from './util.js';

export function jobView(name) {
  const root = el('div', { class: 'job', hidden: '' });
  const schedule = el('p', { class: 'schedule' });
  const table = el('table', { class: 'runs', 'aria-label': `${name}: last runs` });
  const headRow = el('tr');
  for (const [label, cls] of [['Started'], ['Trigger'], ['Duration', 'num'], ['Exit', 'num'], ['Outcome'], ['Detail']]) headRow.append(el('th', cls ? { class: cls } : {}, label));
  table.append(el('thead'), el('tbody'));
  table.tHead.append(headRow);
  const wrap = el('div', { class: 'table-wrap' });
  wrap.append(table);
  root.append(schedule, wrap);
  return { root, schedule, table };
}

export function renderJob(v, job) {
  v.root.hidden = job == null;
  if (job == null) return;
  const next = job.next_run_at === null ? 'none' : stamp(job.next_run_at);
  v.schedule.textContent = `cron "${job.cron}" (${job.timezone}) · overlap ${job.overlap} · next run ${next}${job.queued ? ' · one run queued' : ''}`;
  v.table.hidden = job.runs.length === 0;
  v.table.tBodies[0].replaceChildren(...job.runs.map(runRow));
}

function runRow(r) {
  const tr = el('tr', { 'data-outcome': r.outcome });
  const cells = [
    [stamp(r.started_at)],
    [r.trigger],
    [r.duration_ms === null ? '–' : runDuration(r.duration_ms), 'num'],
    [r.signal ?? (r.exit_code === null ? '–' : String(r.exit_code)), 'num'],
    [r.outcome === 'timeout' ? 'timeout: stopped past run_timeout' : r.outcome, 'outcome'],
    [r.detail ?? ''],
  ];
  for (const [text, cls] of cells) tr.append(el('td', cls ? { class: cls } : {}, text));
  return tr;
}

function runDuration(ms) {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return duration(ms);
}
