// Live charts from the region's Prometheus text (GET /metrics), read every two seconds:
// tasks a second, task latency percentiles (from the histogram's buckets, as PromQL's
// histogram_quantile estimates them), mail RCs a second, and the journal backlog. uPlot
// draws them: small, fast, no dependencies.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { html, regionUrl } from './ui.js';

const POINTS = 90;
const PERIOD_MS = 2000;

/** `name{labels} value` lines into samples. */
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

function sum(samples, name, pick = () => true) {
  return samples.filter((s) => s.name === name && pick(s.labels)).reduce((a, s) => a + s.value, 0);
}

/** Quantile q of the tasks that ended between two readings of the duration histogram. */
function quantile(q, buckets) {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket <= 0 ? b.le : prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

function bucketsOf(samples) {
  const byLe = new Map();
  for (const s of samples) {
    if (s.name !== 'cicsmail_task_duration_seconds_bucket') continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
}

/** One reading against the one before: the rates and percentiles of the interval. */
export function pointOf(prev, cur, seconds) {
  const rate = (name, pick) => Math.max(0, sum(cur, name, pick) - sum(prev, name, pick)) / seconds;
  const before = new Map(bucketsOf(prev).map((b) => [b.le, b.count]));
  const delta = bucketsOf(cur).map((b) => ({ le: b.le, count: b.count - (before.get(b.le) ?? 0) }));
  const ms = (q) => {
    const v = quantile(q, delta);
    return v === null ? null : v * 1000;
  };
  return {
    tasks: rate('cicsmail_tasks_total'),
    p50: ms(0.5),
    p95: ms(0.95),
    p99: ms(0.99),
    rc0: rate('cicsmail_mail_rc_total', (l) => l.rc === '0'),
    rc4: rate('cicsmail_mail_rc_total', (l) => l.rc === '4'),
    rc8: rate('cicsmail_mail_rc_total', (l) => Number(l.rc) >= 8),
    backlog: sum(cur, 'cicsmail_journal_backlog'),
  };
}

const CHARTS = [
  { id: 'tasks', title: 'Tasks a second', series: [{ key: 'tasks', label: 'tasks/s', stroke: '#2563eb' }] },
  {
    id: 'latency',
    title: 'Task latency (ms)',
    series: [
      { key: 'p50', label: 'p50', stroke: '#16a34a' },
      { key: 'p95', label: 'p95', stroke: '#d97706' },
      { key: 'p99', label: 'p99', stroke: '#dc2626' },
    ],
  },
  {
    id: 'rcs',
    title: 'Mail RCs a second',
    series: [
      { key: 'rc0', label: 'RC 0', stroke: '#16a34a' },
      { key: 'rc4', label: 'RC 4', stroke: '#d97706' },
      { key: 'rc8', label: 'RC 8+', stroke: '#dc2626' },
    ],
  },
  {
    id: 'backlog',
    title: 'Journal backlog (mails)',
    series: [{ key: 'backlog', label: 'backlog', stroke: '#7c3aed' }],
  },
];

function Chart({ chart, data }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const width = Math.max(240, box.current.clientWidth);
    plot.current = new uPlot(
      {
        width,
        height: 160,
        // The legend names the series; the values are in the caption for screen readers.
        legend: { show: true, live: false },
        scales: { x: { time: true } },
        series: [{}, ...chart.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, spanGaps: true }))],
        axes: [{}, { size: 50 }],
      },
      data,
      box.current,
    );
    const resize = () => plot.current?.setSize({ width: Math.max(240, box.current.clientWidth), height: 160 });
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      plot.current?.destroy();
    };
  }, []);
  useEffect(() => plot.current?.setData(data), [data]);
  const last = chart.series.map((s, i) => `${s.label} ${format(data[i + 1]?.at(-1))}`).join(', ');
  return html`<figure class="chart">
    <figcaption>${chart.title}<span class="sr-only">: now ${last}</span></figcaption>
    <div ref=${box} aria-hidden="true"></div>
  </figure>`;
}

function format(v) {
  return v === null || v === undefined ? 'none' : Number(v).toFixed(v < 10 ? 2 : 0);
}

export function LiveCharts() {
  const [series, setSeries] = useState(() => ({ t: [], points: [] }));
  const [error, setError] = useState(null);
  useEffect(() => {
    let stop = false;
    let prev = null;
    const read = async () => {
      try {
        const res = await fetch(regionUrl('/metrics'), { credentials: 'same-origin' });
        if (!res.ok) throw new Error(`GET /metrics: HTTP ${res.status}`);
        const samples = parseMetrics(await res.text());
        const now = Date.now() / 1000;
        if (prev && !stop) {
          const p = pointOf(prev.samples, samples, Math.max(0.001, now - prev.at));
          setSeries((s) => ({ t: [...s.t, now].slice(-POINTS), points: [...s.points, p].slice(-POINTS) }));
        }
        prev = { samples, at: now };
        setError(null);
      } catch (e) {
        if (!stop) setError(e);
      }
    };
    read();
    const timer = setInterval(read, PERIOD_MS);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, []);
  return html`<section aria-labelledby="charts-heading">
    <h2 id="charts-heading">Live</h2>
    ${error && html`<p class="error" role="alert">${error.message}</p>`}
    <div class="charts">
      ${CHARTS.map(
        (c) =>
          html`<${Chart}
            key=${c.id}
            chart=${c}
            data=${[series.t, ...c.series.map((s) => series.points.map((p) => p[s.key]))]}
          />`,
      )}
    </div>
  </section>`;
}
