import { html, nothing } from 'lit';
import { expectOk, gib, when, type Schemas } from '../../api.ts';
import { transitional } from '../../components/base.ts';
import { pageHead, phase } from '../../components/bits.ts';
import type { Column } from '../../components/paged-table.ts';
import { PageElement } from '../../page.ts';

type HostCluster = Schemas['HostCluster'];

export const pools = (c: HostCluster) => c.nodePools.map((p) => `${p.name}: ${p.count} × ${p.instanceType}`).join(', ') || (c.edge ? `${c.edge.hosts.length} edge hosts` : '—');

/** Host clusters of the project: their phase and live progress, a link to each. */
export class ClustersPage extends PageElement {
  private load = (cursor?: string) => expectOk(this.ctx.client.GET('/v1/projects/{p}/clusters', { params: { path: { p: this.projectId }, query: { cursor, limit: 25 } } }));

  private columns(): Column<HostCluster>[] {
    return [
      { header: 'Name', cell: (c) => html`<a href=${`${import.meta.env.BASE_URL}cluster/clusters/${c.id}`}>${c.name}</a>` },
      {
        header: 'Status',
        cell: (c) => html`${phase(c.status.phase)}${c.status.message ? html`<div class="muted">${c.status.message}</div>` : nothing}
          ${transitional(c.status.phase) && c.operationId ? html`<operation-progress compact .client=${this.ctx.client} operation-id=${c.operationId}></operation-progress>` : nothing}`,
      },
      { header: 'Provider', cell: (c) => `${c.provider}${c.region ? ` · ${c.region}` : ''}` },
      { header: 'Kubernetes', cell: (c) => c.kubernetesVersion ?? '—' },
      { header: 'Node pools', cell: pools },
      { header: 'Capacity', cell: (c) => `${c.capacity.cpu} CPU · ${gib(c.capacity.memoryMiB)}${c.capacity.gpu ? ` · ${c.capacity.gpu} GPU` : ''}` },
      { header: 'Virtual clusters', cell: (c) => (c.hostCluster.enabled ? 'Allowed' : 'No') },
      { header: 'Created', cell: (c) => when(c.createdAt) },
    ];
  }

  override render() {
    const canCreate = this.ctx.perms.canEdit(this.projectId);
    return html`${pageHead('Clusters', canCreate ? html`<sl-button variant="primary" href=${`${import.meta.env.BASE_URL}cluster/clusters/new`} @click=${(e: Event) => { e.preventDefault(); this.ctx.navigate('cluster/clusters/new'); }}>Create cluster</sl-button>` : nothing,
        `Host clusters of ${this.ctx.project.name}, built from a cluster profile on a cloud account.`)}
      <error-banner class="page-error" .error=${this.error}></error-banner>
      <paged-table caption="Host clusters" empty="No clusters yet." .load=${this.load} .columns=${this.columns()}
        .poll=${(items: HostCluster[]) => items.some((c) => transitional(c.status.phase))}></paged-table>`;
  }
}
customElements.define('page-clusters', ClustersPage);
