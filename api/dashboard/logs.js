// An app's log pane: follows GET /v1/apps/:name/logs?follow=true (the last lines, then each new
// one) while it is open; a filter on the text, a choice of stream, and a pause that keeps
// reading but stops drawing until resumed.

import { api, clock, el, readEvents } from './util.js';

/** lines kept in the pane: enough to scroll back a little, little enough for a phone */
const KEEP = 1000;

export class LogPane {
  constructor(app, onRefused) {
    this.app = app;
    this.onRefused = onRefused;
    this.lines = [];
    this.paused = false;
    this.ctl = undefined;
    this.root = el('details', { class: 'logs' });
    const summary = el('summary', {}, 'Logs');
    const bar = el('div', { class: 'log-bar' });
    this.filter = el('input', { type: 'search', placeholder: 'filter', 'aria-label': `filter ${app}'s log lines` });
    this.stream = el('select', { 'aria-label': 'stream' });
    for (const [v, label] of [['all', 'stdout + stderr'], ['out', 'stdout'], ['err', 'stderr']]) this.stream.append(el('option', { value: v }, label));
    this.pause = el('button', { type: 'button', 'data-action': 'pause-logs', 'aria-pressed': 'false' }, 'Pause');
    this.state = el('span', { class: 'dim', role: 'status' });
    bar.append(this.filter, this.stream, this.pause, this.state);
    this.out = el('pre', { class: 'log-lines', tabindex: '0', 'aria-label': `${app}'s log` });
    this.root.append(summary, bar, this.out);
    this.root.addEventListener('toggle', () => (this.root.open ? this.follow() : this.close()));
    this.filter.addEventListener('input', () => this.draw());
    this.stream.addEventListener('change', () => this.follow());
    this.pause.addEventListener('click', () => {
      this.paused = !this.paused;
      this.pause.textContent = this.paused ? 'Resume' : 'Pause';
      this.pause.setAttribute('aria-pressed', String(this.paused));
      this.draw();
    });
  }

  close() {
    this.ctl?.abort();
    this.ctl = undefined;
  }

  async follow() {
    this.close();
    const ctl = (this.ctl = new AbortController());
    this.lines = [];
    this.draw();
    this.state.textContent = 'connecting…';
    try {
      const res = await api(`/v1/apps/${encodeURIComponent(this.app)}/logs?follow=true&lines=200&stream=${this.stream.value}`, { headers: { accept: 'text/event-stream' }, signal: ctl.signal });
      if (!res.ok || res.body === null) {
        const body = await res.json().catch(() => ({}));
        this.state.textContent = `cannot follow: ${body.error?.message ?? `HTTP ${res.status}`}`;
        return;
      }
      this.state.textContent = 'following';
      await readEvents(res.body, (_event, line) => this.add(line));
      if (!ctl.signal.aborted) this.state.textContent = 'the log stream ended';
    } catch (err) {
      if (err.refused) this.onRefused();
      else if (!ctl.signal.aborted) this.state.textContent = `the log stream broke: ${err.message}`;
    }
  }

  add(line) {
    this.lines.push(line);
    if (this.lines.length > KEEP) this.lines.splice(0, this.lines.length - KEEP);
    if (this.paused) {
      this.state.textContent = `paused (${this.lines.length} lines held)`;
      return;
    }
    if (this.lines.length === KEEP) return this.draw();
    if (this.match(line)) this.out.append(this.row(line));
    this.stick();
  }

  match(line) {
    const f = this.filter.value.trim().toLowerCase();
    return f === '' || line.line.toLowerCase().includes(f);
  }

  row(l) {
    const when = l.time ? clock(Date.parse(l.time)) : '';
    const row = el('span', { class: `log-line${l.stream === 'err' ? ' err' : ''}` }, `${when} ${l.worker !== undefined && l.worker !== null ? `w${l.worker}` : ''} ${l.line}\n`);
    return row;
  }

  draw() {
    if (this.paused) return;
    this.out.replaceChildren(...this.lines.filter((l) => this.match(l)).map((l) => this.row(l)));
    if (this.ctl !== undefined) this.state.textContent = 'following';
    this.stick();
  }

  /** keep the newest line in view, unless the reader scrolled up */
  stick() {
    const o = this.out;
    if (o.scrollHeight - o.scrollTop - o.clientHeight < 60) o.scrollTop = o.scrollHeight;
  }
}
