import { svg, html } from 'lit';
import { usd } from '../api.ts';

/**
 * A horizontal bar chart in plain SVG (no chart library): one bar per item, its value at
 * its end. The SVG is an image with a text alternative; the numbers are in a table beside it.
 */
export function barChart(title: string, items: Array<{ label: string; value: number }>, format: (n: number) => string = usd) {
  const rows = items.slice(0, 12);
  const max = Math.max(...rows.map((r) => r.value), 0) || 1;
  const rowH = 28;
  const labelW = 170;
  const width = 640;
  const barMax = width - labelW - 90;
  const height = rows.length * rowH + 8;
  const summary = `${title}: ${rows.map((r) => `${r.label} ${format(r.value)}`).join(', ') || 'nothing yet'}`;
  if (!rows.length) return html`<p class="muted">${title}: nothing to show for this window yet.</p>`;
  return html`<figure class="chart-figure">
    <svg class="chart bar-chart" viewBox=${`0 0 ${width} ${height}`} role="img" aria-label=${summary}>
      ${rows.map((r, i) => {
        const y = i * rowH + 4;
        const w = Math.max(1, (r.value / max) * barMax);
        const label = r.label.length > 24 ? `${r.label.slice(0, 23)}…` : r.label;
        return svg`<g>
          <text x=${labelW - 8} y=${y + 17} text-anchor="end">${label}</text>
          <rect class="bar" x=${labelW} y=${y + 4} width=${w} height=${rowH - 10} rx="3"></rect>
          <text x=${labelW + w + 6} y=${y + 17}>${format(r.value)}</text>
        </g>`;
      })}
    </svg>
    <figcaption class="muted">${title}</figcaption>
  </figure>`;
}
