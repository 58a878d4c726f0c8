import { html, nothing } from 'lit';
import { all, download, expectOk, gib, PaletteApiError, when, type Schemas } from '../../api.ts';
import { transitional } from '../../components/base.ts';
import { pageHead, phase } from '../../components/bits.ts';
import { confirmAction } from '../../components/form-dialog.ts';
import type { Column } from '../../components/paged-table.ts';
import { PageElement } from '../../page.ts';

type HostCluster = Schemas['HostCluster'];
type Operation = Schemas['Operation'];

/** One host cluster: its latest operation's steps as they run, node pools, upgrade, kubeconfig, delete. */
export class ClusterPage extends PageElement {
  private cluster: HostCluster | undefined;
  private versions: Schemas['ClusterProfile'][] = [];
  private gone = false;

  private loadOps = (cursor?: string) => expectOk(this.ctx.client.GET('/v1/operations', { params: { query: { resourceId: this.params.id!, cursor, limit: 10 } } }));

  private get path() {
    return { p: this.projectId, id: this.params.id! };
  }

  protected override async init() {
    await this.reloadCluster();
    try {
      const current = this.cluster?.profileId;
      const profiles = await all((cursor) => expectOk(this.ctx.client.GET('/v1/projects/{p}/clusterprofiles', { params: { path: { p: this.projectId }, query: { cursor, limit: 100 } } })));
      const name = profiles.find((p) => p.id === current)?.name;
      this.versions = profiles.filter((p) => p.name === name && p.id !== current);
    } catch {
      this.versions = [];
    }
    this.requestUpdate();
  }

  private async reloadCluster() {
    try {
      this.cluster = await expectOk(this.ctx.client.GET('/v1/projects/{p}/clusters/{id}', { params: { path: this.path } }));
    } catch (error) {
      if (error instanceof PaletteApiError && error.status === 404 && this.cluster) {
        this.gone = true;
        this.cluster = undefined;
      } else this.error = error;
    }
    this.requestUpdate();
  }

  protected override async refreshLists() {
    await Promise.all([super.refreshLists(), this.reloadCluster()]);
  }

  private onDone = (event: CustomEvent<Operation>) => {
    event.stopPropagation();
    void this.refreshLists();
  };

  private async scale(pool: string, form: HTMLFormElement) {
    const count = Number((form.querySelector('sl-input') as unknown as HTMLInputElement).value);
    await this.act(() => expectOk(this.ctx.client.PATCH('/v1/projects/{p}/clusters/{id}/nodepools/{pool}', { params: { path: { ...this.path, pool } }, body: { count } })));
  }

  private async upgrade(form: HTMLFormElement) {
    const profileId = (form.querySelector('sl-select') as unknown as HTMLSelectElement).value;
    if (!profileId) return;
    await this.act(() => expectOk(this.ctx.client.POST('/v1/projects/{p}/clusters/{id}/upgrade', { params: { path: this.path }, body: { profileId } })));
  }

  private async destroy(force: boolean) {
    const c = this.cluster!;
    const question = force
      ? `Force-delete ${c.name}? The record goes whatever the cloud answers; what may be left in the cloud is named in the audit log.`
      : `Delete ${c.name}? Its nodes are removed from the cloud.`;
    if (!(await confirmAction(question, force ? 'Force delete' : 'Delete'))) return;
    await this.act(() => expectOk(this.ctx.client.DELETE('/v1/projects/{p}/clusters/{id}', { params: { path: this.path, query: force ? { force: 'true' } : {} } })));
  }

  private kubeconfig = () =>
    this.act(async () => {
      const yaml = await expectOk(this.ctx.client.GET('/v1/projects/{p}/clusters/{id}/kubeconfig', { params: { path: this.path }, parseAs: 'text' }));
      download(`${this.cluster!.name}.kubeconfig.yaml`, yaml as string);
    });

  private opColumns(): Column<Operation>[] {
    return [
      { header: 'Operation', cell: (o) => o.kind },
      { header: 'Status', cell: (o) => html`${phase(o.status)} <span class="muted">${o.progress.done}/${o.progress.total} steps</span>` },
      { header: 'Started', cell: (o) => when(o.startedAt) },
      { header: 'Ended', cell: (o) => when(o.endedAt) },
      { header: 'Error', cell: (o) => o.error?.message ?? '' },
    ];
  }

  override render() {
    const back = html`<p><a href=${`${import.meta.env.BASE_URL}cluster/clusters`}>← All clusters</a></p>`;
    if (this.gone) return html`${back}${pageHead('Cluster deleted')}<p>The cluster is gone.</p>`;
    const c = this.cluster;
    if (!c) return html`${back}<error-banner class="page-error" .error=${this.error}></error-banner><p role="status">Loading…</p>`;
    const canEdit = this.ctx.perms.canEdit(this.projectId);
    const canAdmin = this.ctx.perms.canAdmin(this.projectId);
    const busy = transitional(c.status.phase);
    return html`${back}
      ${pageHead(
        c.name,
        html`${canAdmin && c.status.phase === 'Running' ? html`<sl-button @click=${() => void this.kubeconfig()}>Download kubeconfig</sl-button>` : nothing}
          ${canEdit && c.status.phase !== 'Deleting' ? html`<sl-button variant="danger" outline @click=${() => void this.destroy(false)}>Delete</sl-button>` : nothing}
          ${canAdmin && (c.status.phase === 'Error' || c.status.phase === 'Deleting') ? html`<sl-button variant="danger" @click=${() => void this.destroy(true)}>Force delete</sl-button>` : nothing}`,
      )}
      <error-banner class="page-error" .error=${this.error}></error-banner>
      <div class="grid-2">
        <section class="card" aria-labelledby="status-title">
          <h2 id="status-title" class="flush">Status</h2>
          <p class="cluster-phase">${phase(c.status.phase)} ${c.status.message ? html`<span class="muted">${c.status.message}</span>` : nothing}</p>
          <dl class="review">
            <dt>Provider</dt><dd>${c.provider}${c.region ? `, ${c.region}` : ''}</dd>
            <dt>Kubernetes</dt><dd>${c.kubernetesVersion ?? '—'}</dd>
            <dt>Capacity</dt><dd>${c.capacity.cpu} CPU · ${gib(c.capacity.memoryMiB)} · ${c.capacity.storageGiB} GiB${c.capacity.gpu ? ` · ${c.capacity.gpu} GPU` : ''}</dd>
            <dt>Endpoint</dt><dd>${c.endpoint ? html`<code>${c.endpoint}</code>` : '—'}</dd>
            <dt>Virtual clusters</dt><dd>${c.hostCluster.enabled ? 'Allowed' : 'Not allowed'}</dd>
            <dt>Created</dt><dd>${when(c.createdAt)}</dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="op-title">
          <h2 id="op-title" class="flush">${busy ? 'In progress' : 'Latest operation'}</h2>
          ${c.operationId
            ? html`<operation-progress .client=${this.ctx.client} operation-id=${c.operationId} @operation-done=${this.onDone}></operation-progress>`
            : html`<p class="muted">No operation yet.</p>`}
        </section>
      </div>
      <h2>Node pools</h2>
      <div class="table-wrap" role="region" aria-label="Node pools" tabindex="0">
        <table>
          <caption>Node pools</caption>
          <thead><tr><th scope="col">Pool</th><th scope="col">Instance type</th><th scope="col">Nodes</th><th scope="col">Labels and taints</th>${canEdit ? html`<th scope="col">Scale</th>` : nothing}</tr></thead>
          <tbody>
            ${c.nodePools.map(
              (p) => html`<tr>
                <td data-label="Pool">${p.name}</td>
                <td data-label="Instance type">${p.instanceType}${p.gpu ? ` (${p.gpu.count} × ${p.gpu.model} per node)` : ''}</td>
                <td data-label="Nodes">${p.count}${p.min !== undefined || p.max !== undefined ? html` <span class="muted">(${p.min ?? '—'} to ${p.max ?? '—'})</span>` : nothing}</td>
                <td data-label="Labels and taints">${Object.entries(p.labels ?? {}).map(([k, v]) => html`<code>${k}=${v}</code> `)}${(p.taints ?? []).map((t) => html`<code>${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}</code> `)}</td>
                ${canEdit
                  ? html`<td data-label="Scale">
                      <form class="row" @submit=${(e: SubmitEvent) => { e.preventDefault(); void this.scale(p.name, e.target as HTMLFormElement); }}>
                        <sl-input type="number" min="0" size="small" label=${`Nodes in ${p.name}`} .value=${String(p.count)} ?disabled=${busy}></sl-input>
                        <sl-button size="small" type="submit" ?disabled=${busy}>Scale</sl-button>
                      </form>
                    </td>`
                  : nothing}
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${canEdit && this.versions.length
        ? html`<h2>Upgrade</h2>
            <form class="row card" @submit=${(e: SubmitEvent) => { e.preventDefault(); void this.upgrade(e.target as HTMLFormElement); }}>
              <sl-select label="Profile version" hoist ?disabled=${busy}>
                ${this.versions.map((p) => html`<sl-option value=${p.id}>${p.name} ${p.version} (Kubernetes ${p.kubernetesVersion ?? '—'})</sl-option>`)}
              </sl-select>
              <sl-button type="submit" variant="primary" ?disabled=${busy}>Upgrade</sl-button>
            </form>`
        : nothing}
      <h2>Operations</h2>
      <paged-table caption="Operations on this cluster" empty="No operations." .load=${this.loadOps} .columns=${this.opColumns()}
        .poll=${(items: Operation[]) => items.some((o) => o.status === 'Running')}></paged-table>
      <p class="muted">The API has no per-cluster event stream: each operation's steps and messages are the record of what happened.</p>`;
  }
}
customElements.define('page-cluster', ClusterPage);
