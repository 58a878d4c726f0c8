import { html, nothing } from 'lit';
import { all, download, expectOk, when, type Schemas } from '../../api.ts';
import { transitional } from '../../components/base.ts';
import { pageHead, phase } from '../../components/bits.ts';
import { confirmAction } from '../../components/form-dialog.ts';
import type { Column } from '../../components/paged-table.ts';
import { PageElement } from '../../page.ts';

type Workspace = Schemas['Workspace'];

/** Workspaces: namespaces with quotas and role bindings across several host clusters of the project. */
export class WorkspacesPage extends PageElement {
  private clusterNames = new Map<string, string>();

  private load = (cursor?: string) => expectOk(this.ctx.client.GET('/v1/projects/{p}/workspaces', { params: { path: { p: this.projectId }, query: { cursor, limit: 25 } } }));

  private clusters = () => all((cursor) => expectOk(this.ctx.client.GET('/v1/projects/{p}/clusters', { params: { path: { p: this.projectId }, query: { cursor, limit: 100 } } })));

  protected override async init() {
    try {
      for (const c of await this.clusters()) this.clusterNames.set(c.id, c.name);
    } catch (error) {
      this.error = error;
    }
    this.requestUpdate();
  }

  private create() {
    this.form.open({
      label: 'Create a workspace',
      fields: [
        { name: 'name', label: 'Name', required: true },
        { name: 'clusterIds', label: 'Host clusters', type: 'multiselect', required: true, options: [...this.clusterNames].map(([value, label]) => ({ value, label })) },
        { name: 'namespaces', label: 'Namespaces', required: true, help: 'Names separated by commas, e.g. team-a, team-a-staging' },
        { name: 'cpu', label: 'CPU per namespace (optional)', type: 'number', min: 1 },
        { name: 'memoryMiB', label: 'Memory per namespace in MiB (optional)', type: 'number', min: 1 },
        { name: 'storageGiB', label: 'Storage per namespace in GiB (optional)', type: 'number', min: 1 },
      ],
      submit: async (body) => {
        const { cpu, memoryMiB, storageGiB } = body as { cpu?: number; memoryMiB?: number; storageGiB?: number };
        const resources = cpu && memoryMiB && storageGiB ? { resources: { cpu, memoryMiB, storageGiB } } : {};
        const names = String(body.namespaces ?? '').split(/[\s,]+/).filter(Boolean);
        await expectOk(
          this.ctx.client.POST('/v1/projects/{p}/workspaces', {
            params: { path: { p: this.projectId } },
            body: { name: String(body.name), clusterIds: (body.clusterIds as string[]) ?? [], namespaces: names.map((name) => ({ name, ...resources })), roleBindings: [] },
          }),
        );
        await this.refreshLists();
      },
    });
  }

  private kubeconfig = (w: Workspace, clusterId: string) =>
    this.act(async () => {
      const yaml = await expectOk(this.ctx.client.GET('/v1/projects/{p}/workspaces/{id}/kubeconfig', { params: { path: { p: this.projectId, id: w.id }, query: { clusterId } }, parseAs: 'text' }));
      download(`${w.name}-${this.clusterNames.get(clusterId) ?? clusterId}.kubeconfig.yaml`, yaml as string);
    });

  private async destroy(w: Workspace) {
    if (!(await confirmAction(`Delete the workspace ${w.name}? Its namespaces are removed from every cluster.`))) return;
    await this.act(() => expectOk(this.ctx.client.DELETE('/v1/projects/{p}/workspaces/{id}', { params: { path: { p: this.projectId, id: w.id } } })));
  }

  private columns(): Column<Workspace>[] {
    const canAdmin = this.ctx.perms.canAdmin(this.projectId);
    return [
      { header: 'Name', cell: (w) => html`<strong>${w.name}</strong>` },
      {
        header: 'Status',
        cell: (w) => html`${phase(w.status.phase)}${w.status.message ? html`<div class="muted">${w.status.message}</div>` : nothing}
          ${transitional(w.status.phase) && w.operationId ? html`<operation-progress compact .client=${this.ctx.client} operation-id=${w.operationId}></operation-progress>` : nothing}`,
      },
      {
        header: 'Clusters',
        cell: (w) => html`<ul class="tier-list">${w.status.clusters.map((c) => html`<li>${this.clusterNames.get(c.clusterId) ?? c.clusterId}: ${phase(c.phase)}
          ${c.phase === 'Ready' ? html`<sl-button size="small" @click=${() => void this.kubeconfig(w, c.clusterId)}>Kubeconfig</sl-button>` : nothing}</li>`)}</ul>`,
      },
      { header: 'Namespaces', cell: (w) => w.namespaces.map((n) => n.name).join(', ') },
      { header: 'Created', cell: (w) => when(w.createdAt) },
      { header: 'Actions', cell: (w) => (canAdmin && w.status.phase !== 'Deleting' ? html`<sl-button size="small" variant="danger" outline @click=${() => void this.destroy(w)}>Delete</sl-button>` : nothing) },
    ];
  }

  override render() {
    return html`${pageHead('Workspaces', this.ctx.perms.canAdmin(this.projectId) ? html`<sl-button variant="primary" @click=${() => this.create()}>Create workspace</sl-button>` : nothing,
        'The same namespaces, quotas and role bindings on several host clusters; a kubeconfig gives each member only what the bindings give them.')}
      <error-banner class="page-error" .error=${this.error}></error-banner>
      <paged-table caption="Workspaces" empty="No workspaces yet." .load=${this.load} .columns=${this.columns()}
        .poll=${(items: Workspace[]) => items.some((w) => transitional(w.status.phase))}></paged-table>
      <form-dialog></form-dialog>`;
  }
}
customElements.define('page-workspaces', WorkspacesPage);
