/**
 * A report as a spreadsheet (CSV, RFC 4180) and as a page (HTML with its charts in
 * SVG). The page is self-contained: its style is inline, it has no script, loads no
 * font, image or anything else (its Content-Security-Policy says so), and prints well.
 */
import { barChart, escapeXml, lineChart, meters, usd } from './charts.ts';
import type { Report } from './schemas.ts';

// ---------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------

export const CSV_COLUMNS = [
  'report_id',
  'period_start',
  'period_end',
  'section',
  'id',
  'name',
  'project',
  'cpu_core_hours',
  'memory_gib_hours',
  'storage_gib_hours',
  'compute_usd',
  'storage_usd',
  'total_usd',
  'idle_usd',
  'previous_total_usd',
  'change_percent',
  'quota_dimension',
  'quota_used',
  'quota_limit',
  'quota_percent',
  'partial',
  'as_of',
] as const;
type Column = (typeof CSV_COLUMNS)[number];
type Row = Partial<Record<Column, string | number | null>>;

/**
 * One field: quoted when it holds a comma, a quote, CR or LF (quotes doubled), and a
 * text that a spreadsheet would take for a formula (=, +, -, @, tab, CR first) is
 * prefixed with an apostrophe, so opening the file runs nothing.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** "partial, as of 2026-12-07 16:04 UTC" for a report of a period not over yet; empty for a final one. */
export const partialLabel = (report: Pick<Report, 'partial' | 'asOf'>) => (report.partial && report.asOf ? `partial, as of ${report.asOf.replace('T', ' ').slice(0, 16)} UTC` : '');

export function reportCsv(report: Report): string {
  // Every row says whether its numbers are final, so a sheet of many reports' rows can be filtered on it.
  const base = { report_id: report.id, period_start: report.period.from, period_end: report.period.to, partial: report.partial ? 'true' : 'false', as_of: report.asOf ?? null };
  const partial = partialLabel(report);
  const usage = (line: Pick<Report['totals'], 'cpuCoreHours' | 'memoryGiBHours' | 'storageGiBHours' | 'cost' | 'idle'>) => ({
    cpu_core_hours: line.cpuCoreHours,
    memory_gib_hours: line.memoryGiBHours,
    storage_gib_hours: line.storageGiBHours,
    compute_usd: line.cost.compute,
    storage_usd: line.cost.storage,
    total_usd: line.cost.total,
    idle_usd: line.idle.total,
  });
  const rows: Row[] = [
    { ...base, section: 'total', name: partial ? `${report.title} (${partial})` : report.title, ...usage(report.totals), previous_total_usd: report.previousTotals.cost.total, change_percent: report.change.percent },
    ...report.costByProject.map((p) => ({ ...base, section: 'project', id: p.projectId, name: p.name, project: p.name, ...usage(p), previous_total_usd: p.previousCost, change_percent: p.changePercent })),
    ...report.topVirtualClusters.map((vc) => ({ ...base, section: 'virtualcluster', id: vc.id, name: vc.name, project: vc.projectName, ...usage(vc) })),
    ...report.costPerDay.filter((d) => d.inPeriod).map((d) => ({ ...base, section: 'day', id: d.date, name: d.date, total_usd: d.cost })),
    { ...base, section: 'idle', id: 'paused-storage', name: 'storage of paused virtual clusters', total_usd: report.idle.pausedStorage, idle_usd: report.idle.pausedStorage },
    { ...base, section: 'idle', id: 'host-idle', name: 'host capacity no virtual cluster was allocated', total_usd: report.idle.hostIdle, idle_usd: report.idle.hostIdle },
    ...report.quotaUse.flatMap((q) =>
      (['virtualClusters', 'cpu', 'memoryMiB', 'storageGiB'] as const).map((d) => ({
        ...base,
        section: 'quota',
        id: q.userId,
        name: q.email,
        quota_dimension: d,
        quota_used: q.used[d],
        quota_limit: q.limits[d],
        quota_percent: q.percent[d],
      })),
    ),
  ];
  const lines = [CSV_COLUMNS.join(','), ...rows.map((row) => CSV_COLUMNS.map((c) => csvField(row[c])).join(','))];
  // RFC 4180: CRLF after every record; the byte-order mark lets spreadsheets read UTF-8 names as UTF-8.
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

// ---------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------

/** What the page allows itself: its own inline style, nothing else at all (the page carries it too, for a saved copy). */
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";
/** The response header adds what only a header can say: no one may frame it. */
export const REPORT_CSP = `${PAGE_CSP}; frame-ancestors 'none'`;

const STYLE = `
:root { color-scheme: light; --ink: #1d2433; --muted: #5b6475; --line: #d9dee7; --accent: #2563eb; --band: #eef3ff; --ok: #16a34a; --high: #d97706; --over: #dc2626; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #f6f7f9; }
main { max-width: 900px; margin: 0 auto; padding: 28px 20px 48px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 0; color: var(--muted); }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin-top: 18px; break-inside: avoid; }
h2 { margin: 0 0 12px; font-size: 17px; }
.kpis { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; }
.kpi { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.kpi .n { font-size: 22px; font-weight: 650; }
.kpi .l { color: var(--muted); font-size: 13px; }
.up { color: var(--over); } .down { color: var(--ok); }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted, .note { color: var(--muted); font-size: 13px; }
.chart text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: var(--ink); }
.chart .axis, .chart .note { fill: var(--muted); }
.chart .grid { stroke: var(--line); stroke-width: 1; }
.chart .axisline { stroke: var(--muted); stroke-width: 1; }
.chart .line { fill: none; stroke: var(--accent); stroke-width: 2.5; }
.chart .band { fill: var(--band); }
.chart .dot { fill: #fff; stroke: var(--accent); stroke-width: 2; }
.chart .dot.current { fill: var(--accent); }
.chart .bar { fill: var(--accent); }
.chart .track { fill: #e8ebf0; }
.chart .fill.ok { fill: var(--ok); } .chart .fill.high { fill: var(--high); } .chart .fill.over { fill: var(--over); }
.chart .value.over { fill: var(--over); font-weight: 650; }
.user { margin: 10px 0 4px; font-weight: 600; }
ul.notes { margin: 0; padding-left: 20px; }
.partial { margin-top: 14px; padding: 10px 14px; border: 1px solid var(--high); border-left-width: 5px; border-radius: 8px; background: #fff8eb; }
.badge { display: inline-block; margin-left: 8px; padding: 1px 8px; border-radius: 10px; background: var(--high); color: #fff; font-size: 13px; font-weight: 600; vertical-align: middle; }
@media print {
  body { background: #fff; font-size: 12px; }
  main { padding: 0; max-width: none; }
  section { border-color: #999; }
  .chart .band { fill: #eee; }
}
@page { margin: 14mm; }
`;

const number = (value: number, digits = 1) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const signed = (percent: number | null) => (percent === null ? 'new' : `${percent > 0 ? '+' : percent < 0 ? '−' : '±'}${Math.abs(percent).toFixed(1)} %`);
const trend = (percent: number | null) => (percent === null ? '' : percent > 0 ? 'up' : percent < 0 ? 'down' : '');
const dayLabel = (date: string) => new Date(`${date}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

const nouns = { daily: 'day', weekly: 'week', monthly: 'month' } as const;

export function reportHtml(report: Report): string {
  const e = escapeXml;
  const periodDays = report.costPerDay.filter((d) => d.inPeriod).length;
  const noun = nouns[report.kind];
  const partial = partialLabel(report);
  const previousLabel = partial ? `the ${noun} before, to the same point` : `the ${noun} before`;
  const kpis = [
    { n: usd(report.totals.cost.total), l: `total, ${e(signed(report.change.percent))} vs ${previousLabel}`, cls: trend(report.change.percent) },
    { n: usd(report.totals.cost.compute), l: 'compute' },
    { n: usd(report.totals.cost.storage), l: 'storage' },
    { n: usd(report.idle.total), l: `idle spend${report.idle.percentOfTotal === null ? '' : `, ${number(report.idle.percentOfTotal)} % of total`}` },
  ];
  const trendChart = lineChart(
    report.costPerDay.map((d) => ({ label: dayLabel(d.date), value: d.cost, highlight: d.inPeriod })),
    { title: `Cost per day: the ${periodDays === 1 ? 'day' : `${periodDays} days`} of this report${partial ? ' so far' : ''} (shaded) and the days before` },
  );
  const projectChart = barChart(
    report.costByProject.map((p) => ({ label: p.name, value: p.cost.total, note: `${signed(p.changePercent)} vs ${usd(p.previousCost)}` })),
    { title: 'Cost by project' },
  );
  const quota = report.quotaUse.length
    ? report.quotaUse
        .map(
          (q) =>
            `<div class="user">${e(q.name)} <span class="muted">${e(q.email)}</span></div>` +
            meters(
              [
                { label: 'virtual clusters', percent: q.percent.virtualClusters, text: `${q.used.virtualClusters} of ${q.limits.virtualClusters}` },
                { label: 'CPU', percent: q.percent.cpu, text: `${q.used.cpu} of ${q.limits.cpu} cores` },
                { label: 'memory', percent: q.percent.memoryMiB, text: `${number(q.used.memoryMiB / 1024)} of ${number(q.limits.memoryMiB / 1024)} GiB` },
                { label: 'storage', percent: q.percent.storageGiB, text: `${q.used.storageGiB} of ${q.limits.storageGiB} GiB` },
              ],
              { title: `Quota use of ${q.email}` },
            ),
        )
        .join('')
    : '<p class="muted">No one holds virtual clusters in beehive.</p>';
  const top = report.topVirtualClusters.length
    ? `<table><thead><tr><th>virtual cluster</th><th>project</th><th class="num">CPU core-h</th><th class="num">memory GiB-h</th><th class="num">storage GiB-h</th><th class="num">idle</th><th class="num">cost</th></tr></thead><tbody>${report.topVirtualClusters
        .map(
          (vc) =>
            `<tr><td>${e(vc.name)}</td><td>${e(vc.projectName)}</td><td class="num">${number(vc.cpuCoreHours)}</td><td class="num">${number(vc.memoryGiBHours)}</td><td class="num">${number(vc.storageGiBHours)}</td><td class="num">${e(usd(vc.idle.total))}</td><td class="num">${e(usd(vc.cost.total))}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p class="muted">No virtual cluster ran in this period.</p>';
  const notes = report.notes.length ? `<section><h2>Notes</h2><ul class="notes">${report.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul></section>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${e(PAGE_CSP)}">
<title>${e(report.title)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<main>
<header>
<h1>${e(report.title)}${partial ? ' <span class="badge">partial</span>' : ''}</h1>
<p>${e(report.kind === 'daily' ? new Date(report.period.from).toUTCString().slice(0, 16) : `${new Date(report.period.from).toUTCString().slice(0, 16)} to ${new Date(Date.parse(report.period.to) - 1).toUTCString().slice(0, 16)}`)} (UTC) · generated ${e(report.generatedAt.replace('T', ' ').slice(0, 16))} UTC · amounts in ${e(report.currency)}</p>
${partial ? `<p class="partial" role="note"><strong>${e(partial[0]!.toUpperCase() + partial.slice(1))}.</strong> This ${noun} is not over: the numbers count usage up to then, and the report is made again on every run until the final one replaces it.</p>` : ''}
</header>
<section>
<h2>Totals</h2>
<div class="kpis">${kpis.map((k) => `<div class="kpi"><div class="n ${k.cls ?? ''}">${e(k.n)}</div><div class="l">${k.l}</div></div>`).join('')}</div>
<p class="muted">${number(report.totals.cpuCoreHours)} CPU core-hours, ${number(report.totals.memoryGiBHours)} GiB-hours of memory, ${number(report.totals.storageGiBHours)} GiB-hours of storage. ${previousLabel[0]!.toUpperCase()}${previousLabel.slice(1)}: ${e(usd(report.previousTotals.cost.total))}.</p>
</section>
<section>
<h2>Cost per day</h2>
${trendChart}
</section>
<section>
<h2>Cost by project</h2>
${projectChart}
</section>
<section>
<h2>Top virtual clusters by cost</h2>
${top}
</section>
<section>
<h2>Idle spend</h2>
<table><tbody>
<tr><td>Storage of paused virtual clusters</td><td class="num">${e(usd(report.idle.pausedStorage))}</td></tr>
<tr><td>Host capacity no virtual cluster was allocated (your host clusters)</td><td class="num">${e(usd(report.idle.hostIdle))}</td></tr>
<tr><th>Total idle</th><th class="num">${e(usd(report.idle.total))}</th></tr>
</tbody></table>
</section>
<section>
<h2>Quota use in beehive</h2>
${quota}
</section>
${notes}
</main>
</body>
</html>
`;
}
