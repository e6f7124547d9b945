// Small helpers shared by the dashboard's modules: DOM, the token, fetch through the API, formats.
// Every text goes in through textContent, never parsed as markup: boot errors and log lines are not ours.

const TOKEN_KEY = 'tsgi-admin-token';
export const auth = { token: sessionStorage.getItem(TOKEN_KEY) ?? '' };

export function setToken(t) {
  auth.token = t;
  if (t === '') sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, t);
}

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

export function authHeaders(extra = {}) {
  return auth.token === '' ? extra : { ...extra, authorization: `Bearer ${auth.token}` };
}

/** A call to the API; 401 is thrown as `refused` so the page asks for the token again. */
export async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: authHeaders(init.headers), cache: 'no-store' });
  if (res.status === 401) throw Object.assign(new Error('tsgid refused this token.'), { refused: true });
  return res;
}

/** Server-sent events from a fetch() body: blocks split on a blank line, `event:` and `data:` fields. */
export async function readEvents(body, handle) {
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

export function duration(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export function bytes(n) {
  if (n === null || n === undefined) return '–';
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(0)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** 24-hour local time, as `tsgictl top` shows it: 14:03:07 */
export function clock(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** ISO 8601 local date and time, for a title: 2025-01-31 14:03:07 */
export function stamp(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(ms)}`;
}
