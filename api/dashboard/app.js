// The tsgid dashboard. The page holds no data: it reads GET /v1/events with fetch() (EventSource
// cannot send the Authorization header, and a token in the URL ends up in logs and history), the
// charts' history from GET /v1/apps/:name/history, and acts through the same API. The token
// lives in sessionStorage: this tab only, gone when it closes.

import { Chart, emptySeries, merge } from './charts.js';
import { jobView, renderJob } from './jobs.js';
import { LogPane } from './logs.js';
import { $, api, auth, authHeaders, bytes, clock, duration, el, readEvents, setToken, stamp } from './util.js';

const FINAL = new Set(['stopped', 'crashed', 'failed']);
/** What each action does, said before a confirmation and in a button's title. */
const ACTIONS = {
  start: { label: 'Start', title: 'Start a stopped or failed app' },
  stop: { label: 'Stop', title: 'Drain and stop every worker; the sockets stay open and connections wait', confirm: (a) => `Stop ${a.name}: its ${a.target} worker(s) finish their requests and exit. Nothing serves until you start it again; new connections wait.` },
  reload: { label: 'Reload', title: 'Rolling reload: new workers boot, then the old ones drain' },
  restart: { label: 'Restart', title: 'Stop every worker at once, then start new ones', confirm: (a) => `Restart ${a.name}: all ${a.target} worker(s) stop at once, then ${a.target} new one(s) start. Requests wait until they are ready. Reload replaces them one generation at a time without that gap.` },
};

let stream; // the AbortController of the open stream
let retryMs = 1000;
let retryTimer;
let status; // the daemon's latest status, as GET /v1/apps answers it
/** per app: its DOM, its charts, their series, its log pane */
const views = new Map();

function setConn(state, text) {
  const c = $('conn');
  c.dataset.state = state;
  c.textContent = text;
}

// ---- the stream ----

async function connect() {
  clearTimeout(retryTimer);
  stream?.abort();
  const ctl = (stream = new AbortController());
  setConn('connecting', 'connecting…');
  let res;
  try {
    res = await fetch('/v1/events', { headers: authHeaders({ accept: 'text/event-stream' }), cache: 'no-store', signal: ctl.signal });
  } catch (err) {
    if (!ctl.signal.aborted) retry(`cannot reach tsgid (${err.message})`);
    return;
  }
  if (res.status === 401) return askToken(auth.token === '' ? '' : 'tsgid refused this token.');
  if (!res.ok || res.body === null) return retry(`tsgid answered ${res.status}`);
  $('login').hidden = true;
  $('forget').hidden = auth.token === '';
  setConn('live', 'live');
  retryMs = 1000;
  try {
    await readEvents(res.body, onEvent);
  } catch {
    // a dropped connection: retried below
  }
  if (!ctl.signal.aborted) retry('the event stream ended');
}

function retry(why) {
  setConn('retrying', `${why}; retrying in ${Math.round(retryMs / 1000)} s`);
  retryTimer = setTimeout(connect, retryMs);
  retryMs = Math.min(retryMs * 2, 10_000);
}

function askToken(message) {
  stream?.abort();
  for (const v of views.values()) v.logs.close();
  setConn('refused', 'token needed');
  $('login').hidden = false;
  $('login-error').textContent = message;
  $('forget').hidden = true;
  $('token').focus();
}

function onEvent(event, data) {
  if (event === 'snapshot' || event === 'stats') {
    status = data;
    renderAll();
    for (const app of status.apps) void fetchHistory(view(app.name), app.name);
  } else if (event === 'worker') {
    patchWorker(data);
    logEvent(data);
  }
}

/** The points since the last one the page has (all of the window at first), then the charts redrawn. */
async function fetchHistory(v, name) {
  if (v.fetching) return;
  v.fetching = true;
  try {
    const since = v.series.t.at(-1);
    const res = await api(`/v1/apps/${encodeURIComponent(name)}/history${since === undefined ? '' : `?since=${since}`}`);
    if (!res.ok) return;
    merge(v.series, await res.json());
    const last = v.series.t.length;
    const rps = last === 0 ? undefined : Object.values(v.series.requests).reduce((a, r) => a + (r[last - 1] ?? 0), 0);
    v.rate.textContent = rps === undefined ? '– req/s' : `${rps.toFixed(1)} req/s`;
    for (const c of v.charts) c.update();
  } catch (err) {
    if (err.refused) askToken(err.message);
  } finally {
    v.fetching = false;
  }
}

/** A worker event shows at once; the next stats event brings its figures. */
function patchWorker(e) {
  const app = status?.apps.find((a) => a.name === e.app);
  if (app === undefined) return;
  const i = app.workers.findIndex((w) => w.id === e.worker);
  if (FINAL.has(e.to)) {
    if (i >= 0) app.workers.splice(i, 1);
  } else if (i >= 0) {
    app.workers[i].state = e.to;
  } else {
    app.workers.push({ id: e.worker, pid: e.pid, state: e.to, uptime_ms: 0, rss: null, cpu: null, requests: 0 });
  }
  renderApp(app);
}

function logEvent(e) {
  const log = $('log');
  const move = e.from === e.to ? `spawned, ${e.to}` : `${e.from} → ${e.to}`;
  log.prepend(el('li', { title: stamp(e.at) }, `${clock(e.at)} ${e.app} worker ${e.worker} (pid ${e.pid ?? '?'}) ${move}${e.reason ? ` (${e.reason})` : ''}`));
  while (log.children.length > 50) log.lastElementChild.remove();
  $('log-section').hidden = false;
}

// ---- actions ----

/** POST an action; the button stays disabled and the message says what is under way until the API answers. */
async function act(name, what, path, body, button) {
  const v = view(name);
  button.disabled = true;
  v.section.setAttribute('aria-busy', 'true');
  note(v, `${what}…`, false);
  try {
    const init = { method: 'POST' };
    if (body !== undefined) Object.assign(init, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const res = await api(`/v1/apps/${encodeURIComponent(name)}/${path}`, init);
    const answer = await res.json().catch(() => ({}));
    if (res.ok) note(v, `${what} done`, false);
    else note(v, `${what} failed: ${answer.error?.message ?? `HTTP ${res.status}`} [${answer.error?.code ?? res.status}]`, true);
  } catch (err) {
    if (err.refused) askToken(err.message);
    else note(v, `${what} failed: ${err.message}`, true);
  } finally {
    button.disabled = false;
    v.section.removeAttribute('aria-busy');
  }
}

function note(v, text, isError) {
  v.message.textContent = text;
  v.message.classList.toggle('error', isError);
}

/** The confirmation dialog: resolves true only on its confirm button (Escape and Cancel say no). */
function confirmAction(text, label) {
  const dialog = $('confirm');
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = label;
  dialog.returnValue = '';
  dialog.showModal();
  $('confirm-cancel').focus();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

// ---- rendering ----

function view(name) {
  let v = views.get(name);
  if (v !== undefined) return v;
  const section = el('section', { class: 'app', 'data-app': name, 'aria-label': name });
  const head = el('div', { class: 'app-head' });
  const state = el('span', { class: 'state' });
  const counts = el('span', { class: 'dim' });
  const rate = el('span', { class: 'rate' }, '– req/s');
  head.append(el('h2', {}, name), state, counts, rate);

  const actions = el('div', { class: 'actions', role: 'group', 'aria-label': `${name} actions` });
  for (const [action, { label, title, confirm }] of Object.entries(ACTIONS)) {
    const b = el('button', { type: 'button', 'data-action': action, title }, label);
    b.addEventListener('click', async () => {
      const app = status?.apps.find((a) => a.name === name);
      if (confirm !== undefined && app !== undefined && !(await confirmAction(confirm(app), label))) return;
      await act(name, action, action, undefined, b);
    });
    actions.append(b);
  }
  const scale = el('div', { class: 'scale', role: 'group', 'aria-label': `${name} workers` });
  const minus = el('button', { type: 'button', 'data-action': 'scale-down', 'aria-label': 'one worker fewer' }, '−');
  const count = el('input', { type: 'number', min: '1', step: '1', inputmode: 'numeric', 'aria-label': 'workers', class: 'count' });
  const plus = el('button', { type: 'button', 'data-action': 'scale-up', 'aria-label': 'one worker more' }, '+');
  const set = el('button', { type: 'button', 'data-action': 'scale' }, 'Scale');
  minus.addEventListener('click', () => act(name, 'scale -1', 'scale', { workers: '-1' }, minus));
  plus.addEventListener('click', () => act(name, 'scale +1', 'scale', { workers: '+1' }, plus));
  const setTo = () => act(name, `scale to ${count.value}`, 'scale', { workers: Number(count.value) }, set);
  set.addEventListener('click', setTo);
  count.addEventListener('keydown', (e) => e.key === 'Enter' && setTo());
  count.addEventListener('input', () => (count.dataset.edited = '1'));
  scale.append(el('span', { class: 'dim' }, 'workers'), minus, count, plus, set);
  actions.append(scale);

  const problem = el('p', { class: 'error problem' });
  const message = el('p', { class: 'message', role: 'status' });
  const chartsBox = el('div', { class: 'charts' });
  const series = emptySeries();
  const charts = ['requests', 'latency', 'rss', 'cpu'].map((kind) => {
    const box = el('div', { class: 'chart', role: 'img', 'aria-label': `${name}: ${kind} over the last 15 minutes` });
    chartsBox.append(box);
    return new Chart(kind, box, () => series);
  });
  const table = el('table', { class: 'workers' });
  const headRow = el('tr');
  for (const [label, cls] of [['Worker'], ['PID'], ['State'], ['Uptime', 'num'], ['RSS', 'num'], ['CPU', 'num'], ['Requests', 'num'], ['', 'act']]) {
    headRow.append(el('th', cls ? { class: cls } : {}, label));
  }
  const tbody = el('tbody');
  table.append(el('thead'), tbody);
  table.tHead.append(headRow);
  const tableWrap = el('div', { class: 'table-wrap' });
  tableWrap.append(table);
  const job = jobView(name);
  const restartsTitle = el('h3', { class: 'dim' }, 'Recent restarts');
  const restarts = el('ol', { class: 'restarts' });
  const logs = new LogPane(name, () => askToken('tsgid refused this token.'));
  section.append(head, actions, problem, message, job.root, chartsBox, tableWrap, restartsTitle, restarts, logs.root);
  v = { section, state, counts, rate, count, scale, problem, message, job, table, tbody, restartsTitle, restarts, charts, series, logs, fetching: false };
  views.set(name, v);
  return v;
}

function renderAll() {
  $('daemon').textContent = `tsgi ${status.version}${status.upgrades > 0 ? ` (upgrade ${status.upgrades})` : ''} · pid ${status.pid} · up ${duration(status.uptime_ms)} since ${stamp(status.started_at)} · ${status.config_file}`;
  const names = new Set(status.apps.map((a) => a.name));
  for (const [name, v] of views) {
    if (names.has(name)) continue;
    v.logs.close();
    v.section.remove();
    views.delete(name);
  }
  for (const app of status.apps) renderApp(app);
  // reorder only when needed: moving a node under the pointer would swallow a click
  const main = $('apps');
  const wanted = status.apps.map((a) => view(a.name).section);
  if (wanted.some((s, i) => main.children[i] !== s) || main.children.length !== wanted.length) main.replaceChildren(...wanted);
}

function renderApp(app) {
  const v = view(app.name);
  v.state.textContent = app.state;
  v.state.dataset.state = app.state;
  v.counts.textContent = `${app.ready}/${app.target} ready · ${app.restarts} unplanned restart${app.restarts === 1 ? '' : 's'}${app.balance ? ` · balance: ${app.balance}` : ''}`;
  if (v.count.dataset.edited !== '1' && document.activeElement !== v.count) v.count.value = String(app.target);
  v.problem.textContent = app.failed_reason ?? (app.state !== 'running' && app.last_boot_error !== null ? `last boot error: ${app.last_boot_error}` : '');
  // a scheduled job has no workers to scale (TSGI_ERR_JOB_NOT_SCALABLE): its runs show instead
  v.scale.hidden = app.job != null;
  renderJob(v.job, app.job);
  v.tbody.replaceChildren(...app.workers.map((w) => workerRow(app.name, w)));
  v.table.hidden = app.workers.length === 0;
  const exits = app.recent_restarts ?? [];
  v.restartsTitle.hidden = exits.length === 0;
  v.restarts.replaceChildren(...exits.slice(0, 10).map((r) => el('li', { title: stamp(r.at) }, describeExit(r))));
}

function workerRow(app, w) {
  const tr = el('tr', { 'data-worker': String(w.id), 'data-pid': String(w.pid ?? '') });
  const cells = [
    [String(w.id)],
    [String(w.pid ?? '–')],
    [w.state],
    [duration(w.uptime_ms), 'num'],
    [bytes(w.rss), 'num'],
    [w.cpu === null || w.cpu === undefined ? '–' : `${Math.round(w.cpu)}%`, 'num'],
    [String(w.requests), 'num'],
  ];
  for (const [text, cls] of cells) tr.append(el('td', cls ? { class: cls } : {}, text));
  const cell = el('td', { class: 'act' });
  if (w.state === 'ready' && !w.retiring) {
    const b = el('button', { type: 'button', 'data-action': 'stop-worker', title: `Stop worker ${w.id}: a new one boots, then this one drains`, 'aria-label': `stop worker ${w.id}` }, 'Stop');
    b.addEventListener('click', () => act(app, `stop worker ${w.id}`, `workers/${w.id}/stop`, undefined, b));
    cell.append(b);
  }
  tr.append(cell);
  return tr;
}

function describeExit(r) {
  const how = r.signal ? `, ${r.signal}` : r.code !== null && r.code !== undefined ? `, code ${r.code}` : '';
  return `${clock(r.at)} worker ${r.worker} (pid ${r.pid ?? '?'}) ${r.state}: ${r.reason ?? 'exit'}${how}`;
}

// ---- start ----

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  setToken($('token').value.trim());
  $('token').value = '';
  connect();
});

$('forget').addEventListener('click', () => {
  setToken('');
  askToken('');
});

// without a stored token, try once without: a listener that needs none (behind a proxy) just works
connect();
