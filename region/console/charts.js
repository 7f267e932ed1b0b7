// Live charts from the region's Prometheus text (GET /metrics), read every two seconds:
// tasks a second, task latency percentiles (from the histogram's buckets, as PromQL's
// histogram_quantile estimates them), mail RCs a second, and the journal backlog. uPlot
// draws them: small, fast, no dependencies.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { ErrorNote, html, regionUrl } from './ui.js';
import { usePoll } from './poll.js';

const POINTS = 90;
const PERIOD_MS = 2000;

/** @typedef {{ name: string, labels: Record<string, string>, value: number }} Sample */
/** @typedef {(labels: Record<string, string>) => boolean} LabelPick */
/** @typedef {{ le: number, count: number }} Bucket */

/**
 * `name{labels} value` lines into samples.
 * @param {string} text
 * @returns {Sample[]}
 */
export function parseMetrics(text) {
  /** @type {Sample[]} */
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    /** @type {Record<string, string>} */
    const labels = {};
    for (const [, key = '', value = ''] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    out.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return out;
}

/**
 * @param {Sample[]} samples
 * @param {string} name
 * @param {LabelPick} [pick]
 */
function sum(samples, name, pick = () => true) {
  return samples.filter((s) => s.name === name && pick(s.labels)).reduce((a, s) => a + s.value, 0);
}

/**
 * Quantile q of the tasks that ended between two readings of the duration histogram.
 * @param {number} q
 * @param {Bucket[]} buckets
 * @returns {number | null}
 */
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

/**
 * @param {Sample[]} samples
 * @returns {Bucket[]}
 */
function bucketsOf(samples) {
  /** @type {Map<number, number>} */
  const byLe = new Map();
  for (const s of samples) {
    if (s.name !== 'cicsmail_task_duration_seconds_bucket') continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
}

/**
 * What the charts draw of an interval.
 * @typedef {{
 *   tasks: number,
 *   p50: number | null,
 *   p95: number | null,
 *   p99: number | null,
 *   rc0: number,
 *   rc4: number,
 *   rc8: number,
 *   backlog: number,
 * }} Point
 */

/**
 * One reading against the one before: the rates and percentiles of the interval.
 * @param {Sample[]} prev
 * @param {Sample[]} cur
 * @param {number} seconds
 * @returns {Point}
 */
export function pointOf(prev, cur, seconds) {
  /** @type {(name: string, pick?: LabelPick) => number} */
  const rate = (name, pick) => Math.max(0, sum(cur, name, pick) - sum(prev, name, pick)) / seconds;
  const before = new Map(bucketsOf(prev).map((b) => [b.le, b.count]));
  const delta = bucketsOf(cur).map((b) => ({ le: b.le, count: b.count - (before.get(b.le) ?? 0) }));
  /** @param {number} q */
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

/** @typedef {{ id: string, title: string, series: { key: keyof Point, label: string, stroke: string }[] }} ChartSpec */

/** @type {ChartSpec[]} */
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

/** @param {{ chart: ChartSpec, data: uPlot.AlignedData }} props */
function Chart({ chart, data }) {
  const box = useRef(/** @type {HTMLDivElement | null} */ (null));
  const plot = useRef(/** @type {uPlot | null} */ (null));
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(240, el.clientWidth);
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
      el,
    );
    const resize = () => plot.current?.setSize({ width: Math.max(240, el.clientWidth), height: 160 });
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

/** @param {number | null | undefined} v */
function format(v) {
  return v === null || v === undefined ? 'none' : Number(v).toFixed(v < 10 ? 2 : 0);
}

/**
 * The readings so far: the last one's samples and time, and a point for each interval.
 * @typedef {{ samples: Sample[], at: number, t: number[], points: Point[] }} Readings
 */

/**
 * @param {Readings | null} prev
 * @param {AbortSignal} signal
 * @returns {Promise<Readings>}
 */
async function readMetrics(prev, signal) {
  const res = await fetch(regionUrl('/metrics'), { credentials: 'same-origin', signal });
  if (!res.ok) throw new Error(`GET /metrics: HTTP ${res.status}`);
  const samples = parseMetrics(await res.text());
  const at = Date.now() / 1000;
  if (!prev) return { samples, at, t: [], points: [] };
  const p = pointOf(prev.samples, samples, Math.max(0.001, at - prev.at));
  return { samples, at, t: [...prev.t, at].slice(-POINTS), points: [...prev.points, p].slice(-POINTS) };
}

export function LiveCharts() {
  const { data, error } = usePoll(readMetrics, { every: PERIOD_MS });
  const series = data ?? { t: [], points: [] };
  return html`<section aria-labelledby="charts-heading">
    <h2 id="charts-heading">Live</h2>
    <${ErrorNote} error=${error} />
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
