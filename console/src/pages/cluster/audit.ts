import { html } from 'lit';
import { expectOk, when, type Schemas } from '../../api.ts';
import { pageHead, phase } from '../../components/bits.ts';
import type { Column, PagedTable } from '../../components/paged-table.ts';
import { PageElement } from '../../page.ts';

type Entry = Schemas['AuditEntry'];
type Filters = { projectId?: string; actor?: string; action?: string; from?: string; to?: string };

/** The tenant's audit log, newest first, filtered by project, actor, action and time. */
export class AuditPage extends PageElement {
  private filters: Filters = {};

  private load = (cursor?: string) => expectOk(this.ctx.client.GET('/v1/audit', { params: { query: { cursor, limit: 25, ...this.filters } } }));

  private apply(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const value = (name: string) => ((form.querySelector(`[name=${name}]`) as HTMLInputElement | null)?.value ?? '').trim();
    const iso = (v: string) => (v ? new Date(v).toISOString() : undefined);
    const f: Filters = { projectId: value('projectId') === 'all' ? undefined : value('projectId') || undefined, actor: value('actor') || undefined, action: value('action') || undefined, from: iso(value('from')), to: iso(value('to')) };
    this.filters = Object.fromEntries(Object.entries(f).filter(([, v]) => v)) as Filters;
    void (this.querySelector('paged-table') as PagedTable).reload();
  }

  private columns(): Column<Entry>[] {
    const projects = new Map(this.ctx.projects.map((p) => [p.id, p.name]));
    return [
      { header: 'When', cell: (e) => when(e.at) },
      { header: 'Actor', cell: (e) => html`<code>${e.actor}</code>` },
      { header: 'Action', cell: (e) => html`<code>${e.action}</code>` },
      { header: 'Resource', cell: (e) => html`${e.resourceType}${e.resourceId ? html` <code>${e.resourceId}</code>` : ''}` },
      { header: 'Project', cell: (e) => (e.projectId ? (projects.get(e.projectId) ?? e.projectId) : '—') },
      { header: 'Result', cell: (e) => html`${phase(e.result === 'success' ? 'Succeeded' : 'Failed', e.result)} <span class="muted">${e.statusCode}</span>${e.detail ? html`<div class="muted">${e.detail}</div>` : ''}` },
    ];
  }

  override render() {
    return html`${pageHead('Audit log', '', 'Every change, refused ones too, newest first.')}
      <form class="row card audit-filters" aria-label="Audit filters" @submit=${(e: SubmitEvent) => this.apply(e)}>
        <sl-select name="projectId" label="Project" value="all" hoist>
          <sl-option value="all">Any project</sl-option>
          ${this.ctx.projects.map((p) => html`<sl-option value=${p.id}>${p.name}</sl-option>`)}
        </sl-select>
        <sl-input name="actor" label="Actor (user id)" autocomplete="off"></sl-input>
        <sl-input name="action" label="Action" placeholder="e.g. cluster.create" autocomplete="off"></sl-input>
        <sl-input name="from" label="From" type="datetime-local"></sl-input>
        <sl-input name="to" label="To" type="datetime-local"></sl-input>
        <sl-button type="submit" variant="primary">Filter</sl-button>
      </form>
      <error-banner class="page-error" .error=${this.error}></error-banner>
      <paged-table caption="Audit entries" empty="No entries match." .load=${this.load} .columns=${this.columns()}></paged-table>`;
  }
}
customElements.define('page-audit', AuditPage);
