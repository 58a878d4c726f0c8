import { html, nothing } from 'lit';
import { download, expectOk, usd, when, type Schemas } from '../../api.ts';
import { barChart } from '../../components/bar-chart.ts';
import { pageHead } from '../../components/bits.ts';
import type { Column } from '../../components/paged-table.ts';
import type { PagedTable } from '../../components/paged-table.ts';
import { PageElement } from '../../page.ts';

type Summary = Schemas['ReportSummary'];

/** The tenant's daily, weekly and monthly cost reports (the current ones partial): open one, or take it as CSV or as its HTML page. */
export class ReportsPage extends PageElement {
  private kind: '' | 'daily' | 'weekly' | 'monthly' = '';
  private report: Schemas['Report'] | undefined;

  private load = (cursor?: string) => expectOk(this.ctx.client.GET('/v1/reports', { params: { query: { cursor, limit: 25, ...(this.kind ? { kind: this.kind } : {}) } } }));

  private async open(r: Summary) {
    const report = await this.act(() => expectOk(this.ctx.client.GET('/v1/reports/{id}', { params: { path: { id: r.id } } })));
    if (!report) return;
    this.report = report as Schemas['Report'];
    this.requestUpdate();
    await this.updateComplete;
    this.querySelector<HTMLElement>('#report-title')?.focus();
  }

  private as(r: Summary, type: 'text/csv' | 'text/html') {
    return this.act(async () => {
      const text = await expectOk(this.ctx.client.GET('/v1/reports/{id}', { params: { path: { id: r.id } }, headers: { accept: type }, parseAs: 'text' }));
      download(`${r.id}.${type === 'text/csv' ? 'csv' : 'html'}`, text as unknown as string, type);
    });
  }

  private columns(): Column<Summary>[] {
    return [
      { header: 'Report', cell: (r) => html`<strong>${r.title}</strong>${r.partial ? html` <span class="muted">(partial, as of ${when(r.asOf ?? r.generatedAt)})</span>` : nothing}` },
      { header: 'Kind', cell: (r) => r.kind },
      { header: 'Period', cell: (r) => `${when(r.period.from)} to ${when(r.period.to)}` },
      { header: 'Total', cell: (r) => usd(r.total) },
      { header: 'Generated', cell: (r) => when(r.generatedAt) },
      {
        header: 'Actions',
        cell: (r) => html`<div class="actions"><sl-button size="small" @click=${() => void this.open(r)}>Open</sl-button>
          <sl-button size="small" @click=${() => void this.as(r, 'text/csv')}>CSV</sl-button><sl-button size="small" @click=${() => void this.as(r, 'text/html')}>HTML</sl-button></div>`,
      },
    ];
  }

  override render() {
    const r = this.report;
    return html`${pageHead('Reports', html`<sl-select label="Kind" size="small" .value=${this.kind || 'all'} hoist @sl-change=${(e: Event) => {
        const v = (e.target as HTMLSelectElement).value;
        this.kind = v === 'all' ? '' : (v as 'daily');
        void (this.querySelector('paged-table') as PagedTable).reload();
      }}><sl-option value="all">All</sl-option><sl-option value="daily">Daily</sl-option><sl-option value="weekly">Weekly</sl-option><sl-option value="monthly">Monthly</sl-option></sl-select>`,
        'Made by the generate-reports job; the current day, week and month are partial until they close.')}
      <error-banner class="page-error" .error=${this.error}></error-banner>
      <paged-table caption="Reports" empty="No reports yet: the generate-reports job makes them." .load=${this.load} .columns=${this.columns()}></paged-table>
      ${r
        ? html`<section class="card report" aria-labelledby="report-title">
            <h2 id="report-title" tabindex="-1">${r.title}</h2>
            <p><strong>${usd(r.totals.cost.total)}</strong> (${r.change.percent === null ? 'nothing the period before' : `${r.change.percent >= 0 ? '+' : ''}${r.change.percent.toFixed(1)} % against the period before`});
              idle ${usd(r.idle.total)}.</p>
            <div class="grid-2">
              ${barChart('Cost by project', r.costByProject.map((p) => ({ label: p.name, value: p.cost.total })))}
              ${barChart('Top virtual clusters', r.topVirtualClusters.map((v) => ({ label: v.name, value: v.cost.total })))}
            </div>
            ${r.notes.length ? html`<ul>${r.notes.map((n) => html`<li>${n}</li>`)}</ul>` : nothing}
          </section>`
        : nothing}`;
  }
}
customElements.define('page-reports', ReportsPage);
