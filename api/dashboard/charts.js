// The per-app charts: uPlot (served by tsgid from its package, /dashboard/uplot.js) over the
// history tsgid keeps (GET /v1/apps/:name/history), extended each second with the points since
// the last one (?since=). Exits are marked on the time axis with their reason.

import { bytes, clock, stamp } from './util.js';

/** the window drawn, and kept in the page */
export const WINDOW_MS = 15 * 60 * 1000;
const CLASSES = [['2xx', '#2f9e44'], ['3xx', '#1c7ed6'], ['4xx', '#e8590c'], ['5xx', '#e03131'], ['other', '#868e96']];
const WORKER_COLORS = ['#1c7ed6', '#2f9e44', '#ae3ec9', '#e8590c', '#0c8599', '#d6336c', '#5c940d', '#f08c00'];
const AXIS = { stroke: '#888', grid: { stroke: '#8883', width: 1 }, ticks: { stroke: '#8883', width: 1 } };

/** Aligned series of one app, as the API sends them, merged point by point. */
export function emptySeries() {
  return { t: [], requests: Object.fromEntries(CLASSES.map(([c]) => [c, []])), p50: [], p99: [], workers: new Map(), restarts: [] };
}

/** Append what GET …/history?since= answered; drop what is older than the window. */
export function merge(s, h) {
  const n = h.t.length;
  if (n > 0) {
    const before = s.t.length;
    s.t.push(...h.t);
    for (const [c] of CLASSES) s.requests[c].push(...h.requests[c]);
    s.p50.push(...h.latency.p50);
    s.p99.push(...h.latency.p99);
    const seen = new Set();
    for (const w of h.workers) {
      seen.add(w.id);
      let ws = s.workers.get(w.id);
      if (ws === undefined) s.workers.set(w.id, (ws = { rss: new Array(before).fill(null), cpu: new Array(before).fill(null) }));
      ws.rss.push(...w.rss);
      ws.cpu.push(...w.cpu);
    }
    for (const [id, ws] of s.workers) {
      if (seen.has(id)) continue;
      for (let i = 0; i < n; i++) { ws.rss.push(null); ws.cpu.push(null); }
    }
  }
  const last = s.restarts.at(-1)?.at ?? -Infinity;
  s.restarts.push(...h.restarts.filter((r) => r.at > last));
  const from = s.t.findIndex((t) => t >= (s.t.at(-1) ?? 0) - WINDOW_MS);
  if (from > 0) {
    s.t.splice(0, from);
    for (const [c] of CLASSES) s.requests[c].splice(0, from);
    s.p50.splice(0, from);
    s.p99.splice(0, from);
    for (const [id, ws] of s.workers) {
      ws.rss.splice(0, from);
      ws.cpu.splice(0, from);
      if (ws.rss.every((v) => v === null)) s.workers.delete(id);
    }
  }
  s.restarts = s.restarts.filter((r) => r.at >= (s.t[0] ?? Infinity));
}

/** Vertical marks at each exit, labelled with its reason: a crash in red, anything planned in grey. */
function restartMarks(getSeries) {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx, bbox } = u;
          const exits = getSeries().restarts;
          let drawn = 0;
          let lastLabel = -Infinity;
          ctx.save();
          ctx.font = `${Math.round(10 * devicePixelRatio)}px system-ui, sans-serif`;
          ctx.textBaseline = 'top';
          for (const r of exits) {
            const x = Math.round(u.valToPos(r.at / 1000, 'x', true));
            if (x < bbox.left || x > bbox.left + bbox.width) continue;
            const bad = r.reason === 'crash' || r.reason === 'boot-error' || r.reason === 'boot-timeout' || r.reason === 'timeout';
            ctx.strokeStyle = ctx.fillStyle = bad ? '#e03131' : '#888';
            ctx.setLineDash([4, 3]);
            ctx.beginPath();
            ctx.moveTo(x, bbox.top);
            ctx.lineTo(x, bbox.top + bbox.height);
            ctx.stroke();
            // a burst of exits (a reload) is one label, not a smudge of overlapping ones
            if (x - lastLabel > 60 * devicePixelRatio) {
              ctx.fillText(r.reason ?? 'exit', x + 3, bbox.top + 2);
              lastLabel = x;
            }
            drawn++;
          }
          ctx.restore();
          u.root.dataset.marks = String(drawn);
        },
      ],
    },
  };
}

const KINDS = {
  requests: { title: 'Requests/s by status', value: (v) => (v === null ? '–' : v.toFixed(1)) },
  latency: { title: 'Latency p50 / p99', value: (v) => (v === null ? '–' : v < 1 ? `≤${Math.round(v * 1000)} ms` : `≤${v} s`) },
  rss: { title: 'RSS per worker', value: (v) => (v === null ? '–' : bytes(v)) },
  cpu: { title: 'CPU per worker', value: (v) => (v === null ? '–' : `${Math.round(v)}%`) },
};

function seriesOf(kind, s) {
  if (kind === 'requests') return CLASSES.map(([c, color]) => ({ label: c, stroke: color, width: 1.5, value: (_u, v) => KINDS.requests.value(v) }));
  if (kind === 'latency') return [['p50', '#1c7ed6'], ['p99', '#e8590c']].map(([label, stroke]) => ({ label, stroke, width: 1.5, value: (_u, v) => KINDS.latency.value(v) }));
  return [...s.workers.keys()].map((id, i) => ({ label: `w${id}`, stroke: WORKER_COLORS[i % WORKER_COLORS.length], width: 1.5, value: (_u, v) => KINDS[kind].value(v) }));
}

function dataOf(kind, s) {
  const x = s.t.map((t) => t / 1000);
  if (kind === 'requests') return [x, ...CLASSES.map(([c]) => s.requests[c])];
  if (kind === 'latency') return [x, s.p50, s.p99];
  return [x, ...[...s.workers.values()].map((w) => w[kind])];
}

/** One chart; rebuilt when its set of series changes (a worker came or went), else only fed new data. */
export class Chart {
  constructor(kind, box, getSeries) {
    this.kind = kind;
    this.box = box;
    this.getSeries = getSeries;
    this.plot = undefined;
    this.labels = '';
    this.box.dataset.kind = kind;
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(box);
  }

  size() {
    return { width: Math.max(200, this.box.clientWidth), height: 130 };
  }

  update() {
    const s = this.getSeries();
    const series = seriesOf(this.kind, s);
    const labels = series.map((x) => x.label).join(',');
    const data = dataOf(this.kind, s);
    if (this.plot !== undefined && labels === this.labels) {
      this.plot.setData(data);
    } else {
      this.plot?.destroy();
      this.labels = labels;
      const fmt = KINDS[this.kind].value;
      this.plot = new uPlot(
        {
          ...this.size(),
          title: KINDS[this.kind].title,
          cursor: { drag: { x: false, y: false } },
          legend: { live: true },
          scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
          series: [{ label: 'time', value: (_u, v) => (v === null ? '–' : stamp(v * 1000)) }, ...series],
          axes: [
            { ...AXIS, values: (_u, ticks) => ticks.map((t) => clock(t * 1000)) },
            { ...AXIS, size: 64, values: (_u, ticks) => ticks.map((v) => (this.kind === 'requests' ? String(v) : fmt(v).replace('≤', ''))) },
          ],
          plugins: [restartMarks(this.getSeries)],
        },
        data,
        this.box,
      );
    }
    this.box.dataset.points = String(s.t.length);
    // the highest value drawn: what a test (or a reader of the DOM) can check without reading pixels
    this.box.dataset.peak = String(Math.max(0, ...data.slice(1).flatMap((d) => d.filter((v) => v !== null))));
  }
}
