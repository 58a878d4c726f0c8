import { html, nothing } from 'lit';
import { all, expectOk, gib, type Schemas } from '../../api.ts';
import { meter, pageHead } from '../../components/bits.ts';
import { confirmAction } from '../../components/form-dialog.ts';
import type { Column } from '../../components/paged-table.ts';
import { PageElement } from '../../page.ts';

type Group = Schemas['ClusterGroup'];

/** Cluster groups (beehive and the tenant's own): host clusters pooled for virtual clusters, with their capacity. */
export class ClusterGroupsPage extends PageElement {
  private load = (cursor?: string) => expectOk(this.ctx.client.GET('/v1/clustergroups', { params: { query: { cursor, limit: 25 } } }));

  private async create() {
    const clusters = await all((cursor) =>
      expectOk(this.ctx.client.GET('/v1/projects/{p}/clusters', { params: { path: { p: this.projectId }, query: { cursor, limit: 100, phase: 'Running' } } })),
    ).catch(() => []);
    const hosts = clusters.filter((c) => c.hostCluster.enabled);
    this.form.open({
      label: 'Create a cluster group',
      fields: [
        { name: 'name', label: 'Name', required: true },
        {
          name: 'hostClusters', label: `Host clusters (Running, virtual clusters allowed, in ${this.ctx.project.name})`, type: 'multiselect', required: true,
          options: hosts.map((c) => ({ value: c.id, label: c.name })), help: hosts.length ? '' : 'No cluster of this project can host virtual clusters yet.',
        },
        { name: 'endpointType', label: 'Endpoint', type: 'select', value: 'Ingress', options: [{ value: 'Ingress', label: 'Ingress' }, { value: 'LoadBalancer', label: 'LoadBalancer' }] },
        { name: 'oversubscriptionPercent', label: 'Oversubscription (%)', type: 'number', value: '120', min: 100 },
      ],
      submit: async (body) => {
        const ids = (body.hostClusters as string[] | undefined) ?? [];
        await expectOk(this.ctx.client.POST('/v1/clustergroups', { body: { ...(body as unknown as Schemas['CreateClusterGroup']), hostClusters: ids.map((clusterId) => ({ projectId: this.projectId, clusterId })) } }));
        await this.refreshLists();
      },
    });
  }

  private async destroy(g: Group) {
    if (!(await confirmAction(`Delete the cluster group ${g.name}?`))) return;
    await this.act(() => expectOk(this.ctx.client.DELETE('/v1/clustergroups/{id}', { params: { path: { id: g.id } } })));
  }

  private columns(): Column<Group>[] {
    const admin = this.ctx.perms.tenantAdmin;
    return [
      { header: 'Name', cell: (g) => html`<strong>${g.name}</strong>${g.system ? html` <span class="phase">system</span>` : nothing}` },
      { header: 'Hosts', cell: (g) => String(g.hostClusters.length) },
      { header: 'Endpoint', cell: (g) => g.endpointType },
      {
        header: 'Capacity',
        cell: (g) => html`<div class="capacity">
          ${meter(`${g.id}-cpu`, 'CPU', g.capacity.allocated.cpu, g.capacity.cpu)}
          ${meter(`${g.id}-memory`, 'Memory', g.capacity.allocated.memoryMiB, g.capacity.memoryMiB, gib)}
          ${meter(`${g.id}-storage`, 'Storage', g.capacity.allocated.storageGiB, g.capacity.storageGiB, (n) => `${n} GiB`)}
          ${g.capacity.gpu ? meter(`${g.id}-gpu`, 'GPU', g.capacity.allocated.gpu, g.capacity.gpu) : nothing}
        </div>`,
      },
      { header: 'Virtual clusters', cell: (g) => String(g.capacity.allocated.virtualClusters) },
      { header: 'Limits per virtual cluster', cell: (g) => `${g.limits.maxCpu} CPU · ${gib(g.limits.maxMemoryMiB)} · ${g.limits.maxStorageGiB} GiB (${g.oversubscriptionPercent} % oversubscription)` },
      { header: 'Actions', cell: (g) => (admin && !g.system ? html`<sl-button size="small" variant="danger" outline @click=${() => void this.destroy(g)}>Delete</sl-button>` : nothing) },
    ];
  }

  override render() {
    return html`${pageHead('Cluster groups', this.ctx.perms.tenantAdmin ? html`<sl-button variant="primary" @click=${() => void this.create()}>Create cluster group</sl-button>` : nothing,
        'Virtual clusters are placed on the host clusters of a group. beehive is the platform\'s own.')}
      <error-banner class="page-error" .error=${this.error}></error-banner>
      <paged-table caption="Cluster groups" .load=${this.load} .columns=${this.columns()}></paged-table>
      <form-dialog></form-dialog>`;
  }
}
customElements.define('page-cluster-groups', ClusterGroupsPage);
