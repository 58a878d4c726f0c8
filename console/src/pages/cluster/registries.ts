import { html, nothing } from 'lit';
import { expectOk, when, type Schemas } from '../../api.ts';
import { pageHead } from '../../components/bits.ts';
import { confirmAction } from '../../components/form-dialog.ts';
import type { Column } from '../../components/paged-table.ts';
import { PageElement } from '../../page.ts';

type Registry = Schemas['Registry'];

/** Helm repositories and OCI registries of the tenant, and the charts each has. */
export class RegistriesPage extends PageElement {
  private charts: { registry: Registry; items: Schemas['ChartList']['items'] } | undefined;

  private load = (cursor?: string) => expectOk(this.ctx.client.GET('/v1/registries', { params: { query: { cursor, limit: 25 } } }));

  private create() {
    const authIs = (kind: string) => (v: Record<string, unknown>) => v.authKind === kind;
    this.form.open({
      label: 'Add a registry',
      submitLabel: 'Add',
      fields: [
        { name: 'name', label: 'Name', required: true },
        { name: 'type', label: 'Type', type: 'select', value: 'helm', options: [{ value: 'helm', label: 'Helm repository' }, { value: 'oci', label: 'OCI registry' }] },
        { name: 'url', label: 'URL', required: true, help: 'helm: https://… (with its index.yaml); oci: oci://host/path' },
        { name: 'authKind', label: 'Sign-in', type: 'select', value: 'none', options: [{ value: 'none', label: 'Anonymous' }, { value: 'basic', label: 'Username and password' }, { value: 'token', label: 'Token' }] },
        { name: 'auth.username', label: 'Username', required: true, showIf: authIs('basic') },
        { name: 'auth.password', label: 'Password', type: 'password', required: true, showIf: authIs('basic') },
        { name: 'auth.token', label: 'Token', type: 'password', required: true, showIf: authIs('token') },
      ],
      submit: async (body) => {
        const { authKind: _, ...rest } = body;
        await expectOk(this.ctx.client.POST('/v1/registries', { body: rest as unknown as Schemas['CreateRegistry'] }));
        await this.refreshLists();
      },
    });
  }

  private async showCharts(registry: Registry) {
    const list = await this.act(() => expectOk(this.ctx.client.GET('/v1/registries/{id}/charts', { params: { path: { id: registry.id } } })));
    if (!list) return;
    this.charts = { registry, items: list.items };
    this.requestUpdate();
    await this.updateComplete;
    await (this.querySelector('sl-dialog.charts') as HTMLElement & { show(): Promise<void> }).show();
  }

  private async destroy(r: Registry) {
    if (!(await confirmAction(`Delete the registry ${r.name}?`))) return;
    await this.act(() => expectOk(this.ctx.client.DELETE('/v1/registries/{id}', { params: { path: { id: r.id } } })));
  }

  private columns(): Column<Registry>[] {
    const admin = this.ctx.perms.tenantAdmin;
    return [
      { header: 'Name', cell: (r) => html`<strong>${r.name}</strong>` },
      { header: 'Type', cell: (r) => r.type },
      { header: 'URL', cell: (r) => html`<code>${r.url}</code>` },
      { header: 'Sign-in', cell: (r) => (r.authKind ? `${r.authKind}${r.username ? ` (${r.username})` : ''}` : 'anonymous') },
      { header: 'Used by', cell: (r) => `${r.references} profile version${r.references === 1 ? '' : 's'}` },
      { header: 'Created', cell: (r) => when(r.createdAt) },
      {
        header: 'Actions',
        cell: (r) => html`<div class="actions"><sl-button size="small" @click=${() => void this.showCharts(r)}>Charts</sl-button>
          ${admin ? html`<sl-button size="small" variant="danger" outline ?disabled=${r.references > 0} @click=${() => void this.destroy(r)}>Delete</sl-button>` : nothing}</div>`,
      },
    ];
  }

  override render() {
    const c = this.charts;
    return html`${pageHead('Registries', this.ctx.perms.tenantAdmin ? html`<sl-button variant="primary" @click=${() => this.create()}>Add registry</sl-button>` : nothing,
        'Where Helm layers of cluster profiles and Helm tiers of app profiles come from. Credentials are sealed and never returned.')}
      <error-banner class="page-error" .error=${this.error}></error-banner>
      <paged-table caption="Registries" empty="No registries yet." .load=${this.load} .columns=${this.columns()}></paged-table>
      <form-dialog></form-dialog>
      <sl-dialog class="charts" label=${c ? `Charts in ${c.registry.name}` : 'Charts'}>
        ${c
          ? html`<div class="table-wrap" role="region" aria-label="Charts" tabindex="0"><table>
              <thead><tr><th scope="col">Chart</th><th scope="col">Versions (newest first)</th></tr></thead>
              <tbody>${c.items.map((i) => html`<tr><td data-label="Chart">${i.name}</td><td data-label="Versions">${i.versions.join(', ')}</td></tr>`)}</tbody>
            </table></div>`
          : nothing}
      </sl-dialog>`;
  }
}
customElements.define('page-registries', RegistriesPage);
