import { html, nothing } from 'lit';
import { expectOk, usd, when, type Schemas } from '../../api.ts';
import { barChart } from '../../components/bar-chart.ts';
import { pageHead } from '../../components/bits.ts';
import { PageElement } from '../../page.ts';

type Usage = Schemas['Usage'];
type Scope = 'project' | 'tenant';
const WINDOWS = [
  { value: '24', label: 'Last 24 hours' },
  { value: '168', label: 'Last 7 days' },
  { value: '720', label: 'Last 30 days' },
];

/** Usage and cost: this project's by cluster, virtual cluster or app, or (tenant admins) every project's. */
export class UsagePage extends PageElement {
  private scope: Scope = 'project';
  private groupBy = 'virtualcluster';
  private hours = '24';
  private usage: Usage | undefined;
  private loading = false;

  protected override async init() {
    if (this.ctx.perms.tenantAdmin) {
      this.scope = 'tenant';
      this.groupBy = 'project';
    }
    await this.fetch();
  }

  private async fetch() {
    this.loading = true;
    this.error = undefined;
    this.requestUpdate();
    const to = new Date();
    const from = new Date(to.getTime() - Number(this.hours) * 3_600_000).toISOString();
    try {
      this.usage =
        this.scope === 'tenant'
          ? await expectOk(this.ctx.client.GET('/v1/usage', { params: { query: { from, to: to.toISOString(), groupBy: this.groupBy as 'project' } } }))
          : await expectOk(this.ctx.client.GET('/v1/projects/{p}/usage', { params: { path: { p: this.projectId }, query: { from, to: to.toISOString(), groupBy: this.groupBy as 'cluster' } } }));
    } catch (error) {
      this.error = error;
    } finally {
      this.loading = false;
      this.requestUpdate();
    }
  }

  private pick(what: 'scope' | 'groupBy' | 'hours', value: string) {
    if (what === 'scope') {
      this.scope = value as Scope;
      if (this.scope === 'project' && this.groupBy === 'project') this.groupBy = 'virtualcluster';
    } else this[what] = value;
    void this.fetch();
  }

  override render() {
    const u = this.usage;
    const groups = [
      ...(this.scope === 'tenant' ? [{ value: 'project', label: 'Project' }] : []),
      { value: 'cluster', label: 'Host cluster' },
      { value: 'virtualcluster', label: 'Virtual cluster' },
      { value: 'app', label: 'App' },
    ];
    return html`${pageHead('Usage', nothing, 'Allocated resources integrated over the window as far as the rollup has reached, priced in USD.')}
      <form class="row card" aria-label="Usage filters" @submit=${(e: Event) => e.preventDefault()}>
        ${this.ctx.perms.tenantAdmin
          ? html`<sl-select label="Scope" .value=${this.scope} hoist @sl-change=${(e: Event) => this.pick('scope', (e.target as HTMLSelectElement).value)}>
              <sl-option value="tenant">All projects</sl-option><sl-option value="project">${this.ctx.project.name}</sl-option>
            </sl-select>`
          : nothing}
        <sl-select label="Group by" .value=${this.groupBy} hoist @sl-change=${(e: Event) => this.pick('groupBy', (e.target as HTMLSelectElement).value)}>
          ${groups.map((g) => html`<sl-option value=${g.value}>${g.label}</sl-option>`)}
        </sl-select>
        <sl-select label="Window" .value=${this.hours} hoist @sl-change=${(e: Event) => this.pick('hours', (e.target as HTMLSelectElement).value)}>
          ${WINDOWS.map((w) => html`<sl-option value=${w.value}>${w.label}</sl-option>`)}
        </sl-select>
      </form>
      <error-banner class="page-error" .error=${this.error}></error-banner>
      ${this.loading && !u ? html`<p role="status">Loading…</p>` : nothing}
      ${u
        ? html`<div class="grid-2">
              <section class="card"><h2 class="flush">Total</h2>
                <p class="total-cost"><strong>${usd(u.totals.cost.total)}</strong> <span class="muted">(compute ${usd(u.totals.cost.compute)}, storage ${usd(u.totals.cost.storage)}; idle ${usd(u.totals.idle.total)})</span></p>
                <p class="muted">Rolled up through ${when(u.rolledUpThrough)}.</p>
              </section>
              <section class="card">${barChart(`Cost by ${groups.find((g) => g.value === u.groupBy)?.label.toLowerCase() ?? u.groupBy}`, u.items.map((i) => ({ label: i.name, value: i.cost.total })).sort((a, b) => b.value - a.value))}</section>
            </div>
            <div class="table-wrap" role="region" aria-label="Usage by item" tabindex="0">
              <table>
                <caption>Usage by ${u.groupBy}</caption>
                <thead><tr><th scope="col">Name</th><th scope="col">CPU core-hours</th><th scope="col">Memory GiB-hours</th><th scope="col">Storage GiB-hours</th><th scope="col">Cost</th><th scope="col">Idle</th></tr></thead>
                <tbody>
                  ${u.items.map(
                    (i) => html`<tr><td data-label="Name">${i.name}</td><td data-label="CPU core-hours">${i.cpuCoreHours.toFixed(2)}</td><td data-label="Memory GiB-hours">${i.memoryGiBHours.toFixed(2)}</td>
                      <td data-label="Storage GiB-hours">${i.storageGiBHours.toFixed(2)}</td><td data-label="Cost">${usd(i.cost.total)}</td><td data-label="Idle">${usd(i.idle.total)}</td></tr>`,
                  )}
                </tbody>
              </table>
              ${u.items.length ? nothing : html`<p class="empty">No usage in this window yet.</p>`}
            </div>`
        : nothing}`;
  }
}
customElements.define('page-usage', UsagePage);
