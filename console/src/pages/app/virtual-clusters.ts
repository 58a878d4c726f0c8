import { html, nothing } from 'lit';
import { download, expectOk, gib, when, type Schemas } from '../../api.ts';
import { transitional } from '../../components/base.ts';
import { meter, pageHead, phase } from '../../components/bits.ts';
import { confirmAction } from '../../components/form-dialog.ts';
import type { Column } from '../../components/paged-table.ts';
import { PageElement } from '../../page.ts';

type VirtualCluster = Schemas['VirtualCluster'];
type Quota = Schemas['Quota'];
type Size = { cpu: number; memoryMiB: number; storageGiB: number };

/** Sizes offered at create and resize; those that would pass the quota are disabled. */
export const PRESETS: Array<{ id: string; label: string; size: Size }> = [
  { id: 'small', label: 'Small', size: { cpu: 4, memoryMiB: 4096, storageGiB: 2 } },
  { id: 'medium', label: 'Medium', size: { cpu: 4, memoryMiB: 8192, storageGiB: 5 } },
  { id: 'large', label: 'Large', size: { cpu: 8, memoryMiB: 8192, storageGiB: 10 } },
];
const describe = (s: Size) => `${s.cpu} CPU · ${gib(s.memoryMiB)} memory · ${s.storageGiB} GiB storage`;

/** App Mode's home: my virtual clusters, my quota in beehive, and what to do with each. */
export class VirtualClustersPage extends PageElement {
  private quota: Quota | undefined;
  private groups: Schemas['ClusterGroup'][] = [];
  private dialog: { mode: 'create' } | { mode: 'resize'; vc: VirtualCluster } | undefined;
  private preset = 'small';
  private dialogError: unknown;
  private busy = false;

  private load = (cursor?: string) =>
    expectOk(this.ctx.client.GET('/v1/projects/{p}/virtualclusters', { params: { path: { p: this.projectId }, query: { cursor, limit: 25 } } }));

  protected override async init() {
    await this.loadQuota();
    try {
      this.groups = (await expectOk(this.ctx.client.GET('/v1/clustergroups', { params: { query: { limit: 100 } } }))).items;
    } catch {
      this.groups = [];
    }
    this.requestUpdate();
  }

  private async loadQuota() {
    try {
      this.quota = await expectOk(this.ctx.client.GET('/v1/quotas'));
    } catch (error) {
      this.error = error;
    }
    this.requestUpdate();
  }

  protected override async refreshLists() {
    await Promise.all([super.refreshLists(), this.loadQuota()]);
  }

  /** What is left of my quota, counting `except` (the cluster being resized) as free. */
  private fits(size: Size, except?: VirtualCluster) {
    if (!this.quota) return true;
    const { limits, used } = this.quota;
    const back = except?.resources ?? { cpu: 0, memoryMiB: 0, storageGiB: 0 };
    return (
      (except ? true : used.virtualClusters + 1 <= limits.virtualClusters) &&
      used.cpu - back.cpu + size.cpu <= limits.cpu &&
      used.memoryMiB - back.memoryMiB + size.memoryMiB <= limits.memoryMiB &&
      used.storageGiB - back.storageGiB + size.storageGiB <= limits.storageGiB
    );
  }

  private async openDialog(dialog: NonNullable<VirtualClustersPage['dialog']>) {
    this.dialog = dialog;
    this.dialogError = undefined;
    const except = dialog.mode === 'resize' ? dialog.vc : undefined;
    this.preset = PRESETS.find((p) => this.fits(p.size, except))?.id ?? 'small';
    this.requestUpdate();
    await this.updateComplete;
    await (this.querySelector('sl-dialog.vc-dialog') as HTMLElement & { show(): Promise<void> }).show();
  }

  private closeDialog() {
    void (this.querySelector('sl-dialog.vc-dialog') as HTMLElement & { hide(): Promise<void> })?.hide();
  }

  private async submitDialog(event: SubmitEvent) {
    event.preventDefault();
    const dialog = this.dialog;
    if (!dialog || this.busy) return;
    const form = event.target as HTMLFormElement;
    const size = PRESETS.find((p) => p.id === this.preset)!.size;
    this.busy = true;
    this.dialogError = undefined;
    this.requestUpdate();
    try {
      if (dialog.mode === 'create') {
        const name = (form.querySelector('sl-input[name=name]') as HTMLInputElement).value.trim();
        const group = (form.querySelector('sl-select[name=clusterGroupId]') as HTMLSelectElement | null)?.value || 'beehive';
        const sleep = (form.querySelector('sl-input[name=sleepAfterMinutes]') as HTMLInputElement).value;
        await expectOk(
          this.ctx.client.POST('/v1/projects/{p}/virtualclusters', {
            params: { path: { p: this.projectId } },
            body: { name, clusterGroupId: group, resources: { ...size, gpu: 0 }, ...(sleep ? { sleepAfterMinutes: Number(sleep) } : {}) },
          }),
        );
      } else {
        await expectOk(
          this.ctx.client.PATCH('/v1/projects/{p}/virtualclusters/{id}', { params: { path: { p: this.projectId, id: dialog.vc.id } }, body: { resources: size } }),
        );
      }
      this.closeDialog();
      await this.refreshLists();
    } catch (error) {
      this.dialogError = error;
    } finally {
      this.busy = false;
      this.requestUpdate();
    }
  }

  private pause = (vc: VirtualCluster) =>
    this.act(() => expectOk(this.ctx.client.POST('/v1/projects/{p}/virtualclusters/{id}/pause', { params: { path: { p: this.projectId, id: vc.id } } })));
  private resume = (vc: VirtualCluster) =>
    this.act(() => expectOk(this.ctx.client.POST('/v1/projects/{p}/virtualclusters/{id}/resume', { params: { path: { p: this.projectId, id: vc.id } } })));
  private async destroy(vc: VirtualCluster) {
    if (!(await confirmAction(`Delete the virtual cluster ${vc.name}? Its apps and data go with it.`))) return;
    await this.act(() => expectOk(this.ctx.client.DELETE('/v1/projects/{p}/virtualclusters/{id}', { params: { path: { p: this.projectId, id: vc.id } } })));
  }
  private kubeconfig = (vc: VirtualCluster) =>
    this.act(async () => {
      const yaml = await expectOk(this.ctx.client.GET('/v1/projects/{p}/virtualclusters/{id}/kubeconfig', { params: { path: { p: this.projectId, id: vc.id } }, parseAs: 'text' }));
      download(`${vc.name}.kubeconfig.yaml`, yaml as string);
    });

  private columns(): Column<VirtualCluster>[] {
    const canEdit = this.ctx.perms.canEdit(this.projectId);
    return [
      { header: 'Name', cell: (vc) => html`<strong>${vc.name}</strong>${vc.ownerId === this.ctx.me.user.id ? html` <span class="muted">(yours)</span>` : nothing}` },
      {
        header: 'Status',
        cell: (vc) => html`${phase(vc.status.phase)}
          ${vc.status.message ? html`<div class="muted">${vc.status.message}</div>` : nothing}
          ${transitional(vc.status.phase) && vc.operationId ? html`<operation-progress compact .client=${this.ctx.client} operation-id=${vc.operationId}></operation-progress>` : nothing}`,
      },
      { header: 'Size', cell: (vc) => describe(vc.resources) },
      { header: 'Cluster group', cell: (vc) => vc.clusterGroupId },
      { header: 'Endpoint', cell: (vc) => (vc.endpoint ? html`<code>${vc.endpoint}</code>` : '—') },
      { header: 'Created', cell: (vc) => when(vc.createdAt) },
      {
        header: 'Actions',
        cell: (vc) => {
          const p = vc.status.phase;
          return html`<div class="actions">
            ${canEdit && p === 'Running' ? html`<sl-button size="small" @click=${() => void this.pause(vc)}>Pause</sl-button>` : nothing}
            ${canEdit && p === 'Paused' ? html`<sl-button size="small" @click=${() => void this.resume(vc)}>Resume</sl-button>` : nothing}
            ${canEdit && (p === 'Running' || p === 'Paused') ? html`<sl-button size="small" @click=${() => void this.openDialog({ mode: 'resize', vc })}>Resize</sl-button>` : nothing}
            ${p === 'Running' ? html`<sl-button size="small" @click=${() => void this.kubeconfig(vc)}>Kubeconfig</sl-button>` : nothing}
            ${canEdit && p !== 'Deleting' ? html`<sl-button size="small" variant="danger" outline @click=${() => void this.destroy(vc)}>Delete</sl-button>` : nothing}
          </div>`;
        },
      },
    ];
  }

  private renderQuota() {
    const q = this.quota;
    if (!q) return nothing;
    return html`<section class="card" aria-labelledby="quota-title">
      <h2 id="quota-title" class="flush">My quota in beehive</h2>
      <div class="meters">
        ${meter('virtualClusters', 'Virtual clusters', q.used.virtualClusters, q.limits.virtualClusters)}
        ${meter('cpu', 'CPU', q.used.cpu, q.limits.cpu)}
        ${meter('memoryMiB', 'Memory', q.used.memoryMiB, q.limits.memoryMiB, gib)}
        ${meter('storageGiB', 'Storage', q.used.storageGiB, q.limits.storageGiB, (n) => `${n} GiB`)}
      </div>
    </section>`;
  }

  private renderDialog() {
    const d = this.dialog;
    const except = d?.mode === 'resize' ? d.vc : undefined;
    const groups = this.groups.length ? this.groups : [{ id: 'beehive', name: 'beehive' }];
    return html`<sl-dialog class="vc-dialog" label=${d?.mode === 'resize' ? `Resize ${d.vc.name}` : 'Create a virtual cluster'}>
      <form class="fields" @submit=${(e: SubmitEvent) => void this.submitDialog(e)}>
        <error-banner .error=${this.dialogError}></error-banner>
        ${d?.mode === 'create'
          ? html`<sl-input name="name" label="Name" required autocomplete="off" help-text="Lower-case letters, digits and dashes"></sl-input>
              <sl-select name="clusterGroupId" label="Cluster group" value="beehive" hoist>
                ${groups.map((g) => html`<sl-option value=${g.id}>${g.name}</sl-option>`)}
              </sl-select>`
          : nothing}
        <sl-radio-group name="size" label="Size" .value=${this.preset} @sl-change=${(e: Event) => { this.preset = (e.target as HTMLInputElement).value; this.requestUpdate(); }}>
          ${PRESETS.map(
            (p) => html`<sl-radio value=${p.id} ?disabled=${!this.fits(p.size, except)}>
              ${p.label}: ${describe(p.size)}${this.fits(p.size, except) ? '' : ' (over your quota)'}
            </sl-radio>`,
          )}
        </sl-radio-group>
        ${d?.mode === 'create' ? html`<sl-input name="sleepAfterMinutes" type="number" min="1" label="Pause after minutes without activity (optional)"></sl-input>` : nothing}
        <div class="form-actions">
          <sl-button @click=${() => this.closeDialog()}>Cancel</sl-button>
          <sl-button type="submit" variant="primary" ?loading=${this.busy}>${d?.mode === 'resize' ? 'Resize' : 'Create'}</sl-button>
        </div>
      </form>
    </sl-dialog>`;
  }

  override render() {
    const canCreate = this.ctx.perms.canEdit(this.projectId);
    return html`${pageHead(
        'Virtual clusters',
        canCreate ? html`<sl-button variant="primary" @click=${() => void this.openDialog({ mode: 'create' })}>Create virtual cluster</sl-button>` : nothing,
        `Kubernetes clusters of your own in ${this.ctx.project.name}, running in a cluster group (beehive by default). Paused ones keep their data and count against your quota.`,
      )}
      <error-banner class="page-error" .error=${this.error}></error-banner>
      ${this.renderQuota()}
      <paged-table caption="Virtual clusters" empty="No virtual clusters yet." .load=${this.load} .columns=${this.columns()}
        .poll=${(items: VirtualCluster[]) => items.some((vc) => transitional(vc.status.phase))}
        @loaded=${() => void this.loadQuota()}></paged-table>
      ${this.renderDialog()}`;
  }
}
customElements.define('page-virtual-clusters', VirtualClustersPage);
