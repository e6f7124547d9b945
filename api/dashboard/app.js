// The tsgid dashboard. The page holds no data: it reads GET /v1/events with fetch() (EventSource
// cannot send the Authorization header, and a token in the URL ends up in logs and history) and
// acts through the same API. The token lives in sessionStorage: this tab only, gone when it closes.
// Every text goes in through textContent, never parsed as markup: boot errors and messages are not ours.

const TOKEN_KEY = 'tsgi-admin-token';
/** sparkline points, one per stats event (a second) */
const HISTORY = 60;
const SVG = 'http://www.w3.org/2000/svg';
const FINAL = new Set(['stopped', 'crashed', 'failed']);

const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem(TOKEN_KEY) ?? '';
let stream; // the AbortController of the open stream
let retryMs = 1000;
let retryTimer;
let status; // the daemon's latest status, as GET /v1/apps answers it
/** per app: its DOM, its rate history and the counts the last rate was measured from */
const views = new Map();

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function authHeaders(extra = {}) {
  return token === '' ? extra : { ...extra, authorization: `Bearer ${token}` };
}

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
  if (res.status === 401) return askToken(token === '' ? '' : 'tsgid refused this token.');
  if (!res.ok || res.body === null) return retry(`tsgid answered ${res.status}`);
  $('login').hidden = true;
  $('forget').hidden = token === '';
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
  setConn('refused', 'token needed');
  $('login').hidden = false;
  $('login-error').textContent = message;
  $('forget').hidden = true;
  $('token').focus();
}

/** Server-sent events from a fetch() body: blocks split on a blank line, `event:` and `data:` fields. */
async function readEvents(body, handle) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue; // a comment: the server's keep-alive ping
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) handle(event, JSON.parse(data.join('\n')));
    }
  }
}

function onEvent(event, data) {
  if (event === 'snapshot' || event === 'stats') {
    // a snapshot starts the rates afresh: counts from before a reconnect are no baseline
    if (event === 'snapshot') for (const v of views.values()) v.prev = undefined;
    status = data;
    for (const app of status.apps) measure(app, status.uptime_ms);
    renderAll();
  } else if (event === 'worker') {
    patchWorker(data);
    logEvent(data);
  }
}

/**
 * Requests per second since the last stats event. tsgid's per-app total counts every worker, past
 * and present, so a worker replaced between two samples does not make the rate dip; without it,
 * the per-worker counts (a worker new since the last sample counts from zero).
 */
function measure(app, uptimeMs) {
  const v = view(app.name);
  const total = typeof app.requests_total === 'number' ? app.requests_total : null;
  const workers = new Map(app.workers.map((w) => [w.id, w.requests]));
  const prev = v.prev;
  v.prev = { at: uptimeMs, total, workers };
  if (prev === undefined) return;
  const dt = (uptimeMs - prev.at) / 1000;
  if (dt <= 0) return;
  let n = 0;
  if (total !== null && prev.total !== null) n = Math.max(0, total - prev.total);
  else for (const [id, r] of workers) n += Math.max(0, r - (prev.workers.get(id) ?? 0));
  v.rps = n / dt;
  v.history.push(v.rps);
  if (v.history.length > HISTORY) v.history.shift();
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
  log.prepend(el('li', {}, `${clock(e.at)} ${e.app} worker ${e.worker} (pid ${e.pid ?? '?'}) ${move}${e.reason ? ` (${e.reason})` : ''}`));
  while (log.children.length > 50) log.lastElementChild.remove();
  $('log-section').hidden = false;
}

// ---- actions ----

async function act(name, action, button) {
  const v = view(name);
  button.disabled = true;
  note(v, `${action}…`, false);
  try {
    const res = await fetch(`/v1/apps/${encodeURIComponent(name)}/${action}`, { method: 'POST', headers: authHeaders(), cache: 'no-store' });
    if (res.status === 401) return askToken('tsgid refused this token.');
    const body = await res.json().catch(() => ({}));
    if (res.ok) note(v, `${action} done`, false);
    else note(v, `${action} failed: ${body.error?.message ?? `HTTP ${res.status}`} [${body.error?.code ?? res.status}]`, true);
  } catch (err) {
    note(v, `${action} failed: ${err.message}`, true);
  } finally {
    button.disabled = false;
  }
}

function note(v, text, isError) {
  v.message.textContent = text;
  v.message.classList.toggle('error', isError);
}

// ---- rendering ----

function view(name) {
  let v = views.get(name);
  if (v !== undefined) return v;
  const section = el('section', { class: 'app', 'data-app': name });
  const head = el('div', { class: 'app-head' });
  const state = el('span', { class: 'state' });
  const counts = el('span', { class: 'dim' });
  const rate = el('span', { class: 'rate' });
  const spark = document.createElementNS(SVG, 'svg');
  spark.setAttribute('class', 'spark');
  spark.setAttribute('viewBox', `0 0 ${HISTORY - 1} 20`);
  spark.setAttribute('preserveAspectRatio', 'none');
  spark.setAttribute('role', 'img');
  spark.setAttribute('aria-label', 'requests per second, last minute');
  const line = document.createElementNS(SVG, 'polyline');
  spark.append(line);
  const actions = el('div', { class: 'actions' });
  for (const action of ['reload', 'restart']) {
    const b = el('button', { type: 'button', 'data-action': action }, action[0].toUpperCase() + action.slice(1));
    b.addEventListener('click', () => act(name, action, b));
    actions.append(b);
  }
  head.append(el('h2', {}, name), state, counts, rate, spark, actions);
  const problem = el('p', { class: 'error problem' });
  const message = el('p', { class: 'message', role: 'status' });
  const table = el('table');
  const headRow = el('tr');
  for (const [label, cls] of [['Worker'], ['PID'], ['State'], ['Uptime', 'num'], ['RSS', 'num'], ['CPU', 'num'], ['Requests', 'num']]) {
    headRow.append(el('th', cls ? { class: cls } : {}, label));
  }
  const tbody = el('tbody');
  table.append(el('thead'), tbody);
  table.tHead.append(headRow);
  const restartsTitle = el('h3', { class: 'dim' }, 'Recent restarts');
  const restarts = el('ol', { class: 'restarts' });
  section.append(head, problem, message, table, restartsTitle, restarts);
  v = { section, state, counts, rate, line, problem, message, table, tbody, restartsTitle, restarts, history: [], rps: undefined, prev: undefined };
  views.set(name, v);
  return v;
}

function renderAll() {
  $('daemon').textContent = `pid ${status.pid} · up ${duration(status.uptime_ms)} · ${status.config_file}`;
  const names = new Set(status.apps.map((a) => a.name));
  for (const [name, v] of views) {
    if (names.has(name)) continue;
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
  v.counts.textContent = `${app.ready}/${app.target} ready · ${app.restarts} unplanned restart${app.restarts === 1 ? '' : 's'}`;
  v.rate.textContent = v.rps === undefined ? '– req/s' : `${v.rps.toFixed(1)} req/s`;
  const max = Math.max(1, ...v.history);
  const offset = HISTORY - v.history.length;
  v.line.setAttribute('points', v.history.map((r, i) => `${offset + i},${(20 - (r / max) * 19).toFixed(2)}`).join(' '));
  v.problem.textContent = app.failed_reason ?? (app.state !== 'running' && app.last_boot_error !== null ? `last boot error: ${app.last_boot_error}` : '');
  v.tbody.replaceChildren(...app.workers.map(workerRow));
  v.table.hidden = app.workers.length === 0;
  const exits = app.recent_restarts ?? [];
  v.restartsTitle.hidden = exits.length === 0;
  v.restarts.replaceChildren(...exits.slice(0, 10).map((r) => el('li', {}, describeExit(r))));
}

function workerRow(w) {
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
  return tr;
}

function describeExit(r) {
  const how = r.signal ? `, ${r.signal}` : r.code !== null && r.code !== undefined ? `, code ${r.code}` : '';
  return `${clock(r.at)} worker ${r.worker} (pid ${r.pid ?? '?'}) ${r.state}: ${r.reason ?? 'exit'}${how}`;
}

function duration(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

function bytes(n) {
  if (n === null || n === undefined) return '–';
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(0)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString();
}

// ---- start ----

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  token = $('token').value.trim();
  $('token').value = '';
  sessionStorage.setItem(TOKEN_KEY, token);
  connect();
});

$('forget').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  token = '';
  askToken('');
});

// without a stored token, try once without: a listener that needs none (behind a proxy) just works
connect();
