// --report FILE.html: one self-contained page (no scripts, no CDN) with the summary and two
// charts drawn here as inline SVG: latency over time (p50, p99 and max of each second, with
// the answers of that second behind them) and the latency histogram (log scale).
import type { LoadSummary } from './summary.js';
import { formatSummary } from './summary.js';
import { formatVerify } from './verify.js';

const W = 900;
const H = 340;
const M = { left: 64, right: 64, top: 20, bottom: 44 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

const fmt = (n: number) =>
  n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n >= 1 ? n.toFixed(2) : n.toPrecision(2);
/** An axis tick of the 1-2-5 series: 0.5, 1, 20, 500. */
const tick = (n: number) => String(Number(n.toPrecision(3)));

/** 1-2-5 steps of each decade between lo and hi. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let d = Math.floor(Math.log10(lo)); d <= Math.ceil(Math.log10(hi)); d++) {
    for (const m of [1, 2, 5]) {
      const v = m * Math.pow(10, d);
      if (v >= lo && v <= hi) ticks.push(v);
    }
  }
  return ticks;
}

function linearTicks(max: number, count = 5): number[] {
  if (max <= 0) return [0];
  const raw = max / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step / 2; v += step) ticks.push(v);
  return ticks;
}

function logScale(lo: number, hi: number, from: number, to: number): (v: number) => number {
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  return (v) => from + ((Math.log10(Math.max(lo, Math.min(hi, v))) - a) / (b - a || 1)) * (to - from);
}

function svgOpen(title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}" font-family="system-ui, sans-serif" font-size="12">
<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`;
}

/** Latency over time: one point a second. */
export function latencyOverTimeSvg(s: LoadSummary): string {
  const points = s.timeline.filter((p) => p.count > 0);
  const tMax = Math.max(1, ...s.timeline.map((p) => p.t));
  const values = points.flatMap((p) => [p.p50Ms, p.p99Ms, p.maxMs]).filter((v) => v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(0.01, values.length > 0 ? Math.min(...values) : 1))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values, lo * 10))));
  const x = (t: number) => M.left + (t / tMax) * PW;
  const y = logScale(lo, hi, M.top + PH, M.top);
  const countMax = Math.max(1, ...s.timeline.map((p) => p.count));
  const countTicks = linearTicks(countMax, 4);
  const cTop = countTicks.at(-1) ?? countMax;
  const yc = (c: number) => M.top + PH - (c / cTop) * PH;
  const parts = [svgOpen('latency over time')];
  // Answers a second, as bars behind the lines.
  const bw = Math.max(1, PW / Math.max(1, s.timeline.length) - 1);
  for (const p of s.timeline) {
    parts.push(
      `<rect x="${(x(p.t) - bw).toFixed(1)}" y="${yc(p.count).toFixed(1)}" width="${bw.toFixed(1)}" height="${(M.top + PH - yc(p.count)).toFixed(1)}" fill="#dde6f0"/>`,
    );
    if (p.errors > 0)
      parts.push(
        `<rect x="${(x(p.t) - bw).toFixed(1)}" y="${M.top + PH - 4}" width="${bw.toFixed(1)}" height="4" fill="#c0392b"><title>${p.errors} errors</title></rect>`,
      );
  }
  for (const v of logTicks(lo, hi)) {
    parts.push(
      `<line x1="${M.left}" x2="${M.left + PW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`,
    );
    parts.push(`<text x="${M.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${tick(v)}</text>`);
  }
  for (const c of countTicks)
    parts.push(`<text x="${M.left + PW + 6}" y="${(yc(c) + 4).toFixed(1)}" fill="#7f8fa6">${c}</text>`);
  for (const t of linearTicks(tMax, 8))
    parts.push(`<text x="${x(t).toFixed(1)}" y="${M.top + PH + 18}" text-anchor="middle">${t}</text>`);
  const series: [string, string, (p: (typeof points)[number]) => number][] = [
    ['max', '#c0392b', (p) => p.maxMs],
    ['p99', '#e67e22', (p) => p.p99Ms],
    ['p50', '#2471a3', (p) => p.p50Ms],
  ];
  for (const [name, color, get] of series) {
    const line = points.map((p) => `${x(p.t).toFixed(1)},${y(get(p)).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="1.8" points="${line}"><title>${name}</title></polyline>`,
    );
  }
  series.forEach(([name, color], i) => {
    parts.push(
      `<rect x="${M.left + 10 + i * 70}" y="${M.top + 6}" width="14" height="3" fill="${color}"/><text x="${M.left + 28 + i * 70}" y="${M.top + 11}">${name}</text>`,
    );
  });
  parts.push(
    `<rect x="${M.left + 220}" y="${M.top + 2}" width="12" height="10" fill="#dde6f0"/><text x="${M.left + 236}" y="${M.top + 11}">answers a second (right axis)</text>`,
  );
  parts.push(
    `<line x1="${M.left}" x2="${M.left + PW}" y1="${M.top + PH}" y2="${M.top + PH}" stroke="#333"/><line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + PH}" stroke="#333"/>`,
  );
  parts.push(`<text x="${M.left + PW / 2}" y="${H - 6}" text-anchor="middle">seconds since the start</text>`);
  parts.push(
    `<text transform="translate(14 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle">latency, ms (log)</text>`,
  );
  parts.push('</svg>');
  return parts.join('\n');
}

/** The latency histogram: answers by latency bin, log latency axis, with p50, p99, p99.9 marked. */
export function latencyHistogramSvg(s: LoadSummary): string {
  const bins = s.latencyBins;
  const lo = bins.length > 0 ? Math.pow(10, Math.floor(Math.log10(bins[0]?.fromMs ?? 0.01))) : 0.1;
  const hi = bins.length > 0 ? Math.pow(10, Math.ceil(Math.log10(bins.at(-1)?.toMs ?? 1))) : 10;
  const x = logScale(lo, hi, M.left, M.left + PW);
  const max = Math.max(1, ...bins.map((b) => b.count));
  const ticks = linearTicks(max, 4);
  const top = ticks.at(-1) ?? max;
  const y = (c: number) => M.top + PH - (c / top) * PH;
  const parts = [svgOpen('latency histogram')];
  for (const c of ticks) {
    parts.push(
      `<line x1="${M.left}" x2="${M.left + PW}" y1="${y(c).toFixed(1)}" y2="${y(c).toFixed(1)}" stroke="#eee"/>`,
    );
    parts.push(`<text x="${M.left - 6}" y="${(y(c) + 4).toFixed(1)}" text-anchor="end">${c}</text>`);
  }
  for (const b of bins) {
    const x0 = x(b.fromMs);
    const x1 = x(b.toMs);
    parts.push(
      `<rect x="${x0.toFixed(1)}" y="${y(b.count).toFixed(1)}" ` +
        `width="${Math.max(1, x1 - x0 - 1).toFixed(1)}" height="${(M.top + PH - y(b.count)).toFixed(1)}" ` +
        `fill="#2471a3"><title>${fmt(b.fromMs)}–${fmt(b.toMs)} ms: ${b.count}</title></rect>`,
    );
  }
  for (const v of logTicks(lo, hi))
    parts.push(`<text x="${x(v).toFixed(1)}" y="${M.top + PH + 18}" text-anchor="middle">${tick(v)}</text>`);
  const marks: [string, number][] = [
    ['p50', s.latencyMs.p50],
    ['p99', s.latencyMs.p99],
    ['p99.9', s.latencyMs.p999],
  ];
  marks.forEach(([name, v], i) => {
    if (v <= 0) return;
    parts.push(
      `<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${M.top}" y2="${M.top + PH}" stroke="#e67e22" stroke-dasharray="4 3"/>`,
    );
    parts.push(
      `<text x="${(x(v) + 4).toFixed(1)}" y="${M.top + 12 + i * 14}" fill="#a04000">${name} ${fmt(v)} ms</text>`,
    );
  });
  parts.push(
    `<line x1="${M.left}" x2="${M.left + PW}" y1="${M.top + PH}" y2="${M.top + PH}" stroke="#333"/><line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + PH}" stroke="#333"/>`,
  );
  parts.push(`<text x="${M.left + PW / 2}" y="${H - 6}" text-anchor="middle">latency, ms (log)</text>`);
  parts.push(`<text transform="translate(14 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle">answers</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

export function reportHtml(s: LoadSummary): string {
  const summary = [...formatSummary(s), ...(s.verify ? formatVerify(s.verify) : [])].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>cicsmail load: ${esc(s.tx)} ${esc(s.startedAt)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 960px; color: #222; }
pre { background: #f6f8fa; padding: 1em; overflow-x: auto; font-size: 13px; }
h2 { font-size: 1.1em; margin-top: 2em; }
svg { max-width: 100%; height: auto; border: 1px solid #ddd; }
</style>
</head>
<body>
<h1>cicsmail load: ${esc(s.tx)}, ${s.txPerSec} tx/s, p99 ${s.latencyMs.p99} ms</h1>
<pre>${esc(summary)}</pre>
<h2>Latency over time</h2>
${latencyOverTimeSvg(s)}
<h2>Latency histogram</h2>
${latencyHistogramSvg(s)}
</body>
</html>
`;
}
