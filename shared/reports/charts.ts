/**
 * Charts as SVG strings, drawn on the server: a line chart, horizontal bars and
 * meters. Hand-drawn rather than a chart library: the three shapes are a few dozen
 * lines of geometry, a library (d3, vega) would bring a DOM or a bundle many times the
 * size of this module into a Lambda for them, and these render the same in every
 * browser and on paper (no scripts, no fonts, numbers written beside every mark, so
 * nothing depends on colour alone). Every text is escaped.
 */

export const escapeXml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A round step for axis ticks: 1, 2 or 5 × a power of ten, about `count` steps up to `max`. */
export function niceStep(max: number, count = 4): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

export const usd = (value: number) => {
  const abs = Math.abs(value);
  const digits = abs !== 0 && abs < 0.01 ? 4 : 2;
  return `${value < 0 ? '−' : ''}$${abs.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
};

const fixed = (n: number) => Number(n.toFixed(1));

export interface LinePoint {
  label: string;
  value: number;
  /** Drawn as the period the chart is about (the others are context). */
  highlight?: boolean;
}

/** Cost over time: one line, its highlighted part in a shaded band, every point labelled with its value. */
export function lineChart(points: readonly LinePoint[], options: { title: string; width?: number; height?: number; format?: (v: number) => string }): string {
  const width = options.width ?? 720;
  const height = options.height ?? 260;
  const format = options.format ?? usd;
  const margin = { top: 28, right: 40, bottom: 44, left: 64 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const max = Math.max(0, ...points.map((p) => p.value));
  const step = niceStep(max);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const x = (i: number) => margin.left + (points.length <= 1 ? plotW / 2 : (i * plotW) / (points.length - 1));
  const y = (v: number) => margin.top + plotH - (Math.max(0, v) / top) * plotH;
  const parts: string[] = [];
  parts.push(`<title>${escapeXml(options.title)}</title>`);
  for (let v = 0; v <= top + step / 2; v += step) {
    parts.push(`<line class="grid" x1="${margin.left}" x2="${width - margin.right}" y1="${fixed(y(v))}" y2="${fixed(y(v))}"/>`);
    parts.push(`<text class="axis" x="${margin.left - 8}" y="${fixed(y(v) + 4)}" text-anchor="end">${escapeXml(format(v))}</text>`);
  }
  const highlighted = points.map((p, i) => (p.highlight ? i : -1)).filter((i) => i >= 0);
  if (highlighted.length) {
    const first = x(highlighted[0]!) - (points.length > 1 ? plotW / (points.length - 1) / 2 : 12);
    const last = x(highlighted[highlighted.length - 1]!) + (points.length > 1 ? plotW / (points.length - 1) / 2 : 12);
    const left = Math.max(margin.left, first);
    parts.push(`<rect class="band" x="${fixed(left)}" y="${margin.top}" width="${fixed(Math.min(width - margin.right, last) - left)}" height="${plotH}"/>`);
  }
  if (points.length) {
    const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${fixed(x(i))},${fixed(y(p.value))}`).join(' ');
    parts.push(`<path class="line" d="${path}"/>`);
  }
  const labelEvery = Math.max(1, Math.ceil(points.length / 14));
  const lastIndex = points.length - 1;
  const spacing = points.length > 1 ? plotW / lastIndex : plotW;
  points.forEach((p, i) => {
    parts.push(`<circle class="${p.highlight ? 'dot current' : 'dot'}" cx="${fixed(x(i))}" cy="${fixed(y(p.value))}" r="${p.highlight ? 4 : 3}"><title>${escapeXml(`${p.label}: ${format(p.value)}`)}</title></circle>`);
    // The last point's texts end at it, so they stay inside the chart. With labels on every few points
    // (a month or two of days) the first is centred like the rest, and none is written into the last one.
    const anchor = i === lastIndex && points.length > 1 ? 'end' : i === 0 && points.length > 1 && labelEvery === 1 ? 'start' : 'middle';
    const crowdsLast = labelEvery > 1 && i !== lastIndex && (lastIndex - i) * spacing < 60;
    if ((i % labelEvery === 0 && !crowdsLast) || i === lastIndex) parts.push(`<text class="axis" x="${fixed(x(i))}" y="${height - margin.bottom + 18}" text-anchor="${anchor}">${escapeXml(p.label)}</text>`);
    if (p.highlight && points.length <= 14) parts.push(`<text class="value" x="${fixed(x(i))}" y="${fixed(y(p.value) - 9)}" text-anchor="${anchor}">${escapeXml(format(p.value))}</text>`);
  });
  parts.push(`<line class="axisline" x1="${margin.left}" x2="${width - margin.right}" y1="${margin.top + plotH}" y2="${margin.top + plotH}"/>`);
  return `<svg class="chart line-chart" role="img" aria-label="${escapeXml(options.title)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMidYMid meet">${parts.join('')}</svg>`;
}

export interface Bar {
  label: string;
  value: number;
  /** A second line under the label, e.g. the change against the previous period. */
  note?: string;
}

/** Horizontal bars, longest first as given, each with its label and value. */
export function barChart(bars: readonly Bar[], options: { title: string; width?: number; format?: (v: number) => string }): string {
  const width = options.width ?? 720;
  const format = options.format ?? usd;
  const row = 34;
  const labelW = 200;
  const valueW = 110;
  const height = Math.max(1, bars.length) * row + 8;
  const max = Math.max(0, ...bars.map((b) => b.value));
  const plotW = width - labelW - valueW;
  const parts = [`<title>${escapeXml(options.title)}</title>`];
  bars.forEach((bar, i) => {
    const top = 4 + i * row;
    const w = max > 0 ? Math.max(bar.value > 0 ? 2 : 0, (Math.max(0, bar.value) / max) * plotW) : 0;
    const label = bar.label.length > 28 ? `${bar.label.slice(0, 27)}…` : bar.label;
    parts.push(`<text class="label" x="${labelW - 8}" y="${top + (bar.note ? 13 : 19)}" text-anchor="end">${escapeXml(label)}</text>`);
    if (bar.note) parts.push(`<text class="note" x="${labelW - 8}" y="${top + 27}" text-anchor="end">${escapeXml(bar.note)}</text>`);
    parts.push(`<rect class="bar" x="${labelW}" y="${top + 5}" width="${fixed(w)}" height="${row - 12}" rx="2"><title>${escapeXml(`${bar.label}: ${format(bar.value)}`)}</title></rect>`);
    parts.push(`<text class="value" x="${fixed(labelW + w + 6)}" y="${top + 19}">${escapeXml(format(bar.value))}</text>`);
  });
  if (!bars.length) parts.push(`<text class="note" x="${labelW}" y="22">nothing to show</text>`);
  return `<svg class="chart bar-chart" role="img" aria-label="${escapeXml(options.title)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">${parts.join('')}</svg>`;
}

export interface Meter {
  label: string;
  /** 0–100 is within the limit; above it is over. */
  percent: number;
  text: string;
}

/** A row of meters, e.g. a user's quota: each a track, its fill, and the numbers written out. */
export function meters(items: readonly Meter[], options: { title: string; width?: number }): string {
  const width = options.width ?? 720;
  const cell = width / Math.max(1, items.length);
  const height = 54;
  const parts = [`<title>${escapeXml(options.title)}</title>`];
  items.forEach((m, i) => {
    const left = i * cell + 4;
    const track = cell - 16;
    const fill = Math.min(100, Math.max(0, m.percent)) / 100;
    const level = m.percent > 100 ? 'over' : m.percent >= 80 ? 'high' : 'ok';
    parts.push(`<text class="label" x="${fixed(left)}" y="14">${escapeXml(m.label)}</text>`);
    parts.push(`<rect class="track" x="${fixed(left)}" y="20" width="${fixed(track)}" height="12" rx="6"/>`);
    parts.push(`<rect class="fill ${level}" x="${fixed(left)}" y="20" width="${fixed(track * fill)}" height="12" rx="6"><title>${escapeXml(`${m.label}: ${m.text}`)}</title></rect>`);
    parts.push(`<text class="${level === 'over' ? 'value over' : 'value'}" x="${fixed(left)}" y="48">${escapeXml(`${m.text} (${Math.round(m.percent)} %)${level === 'over' ? ' over quota' : ''}`)}</text>`);
  });
  return `<svg class="chart meters" role="img" aria-label="${escapeXml(options.title)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">${parts.join('')}</svg>`;
}
