import { html, nothing } from 'lit';
import { live } from 'lit/directives/live.js';
import { expectOk, fieldErrors, when, type Schemas } from '../../api.ts';
import { pageHead } from '../../components/bits.ts';
import type { Column } from '../../components/paged-table.ts';
import { PageElement } from '../../page.ts';

type Profile = Schemas['ClusterProfile'];
type Layer = { type: Schemas['ProfileLayer']['type']; name: string; version: string; manifest: string };

const DEFAULT_LAYERS: Layer[] = [
  { type: 'os', name: 'ubuntu', version: '22.04', manifest: '' },
  { type: 'k8s', name: 'kubernetes', version: '1.31', manifest: '' },
  { type: 'cni', name: 'calico', version: '3.28.0', manifest: '' },
];

/** Cluster profiles: versioned stacks of layers (OS, Kubernetes, CNI, CSI, add-ons). */
export class ClusterProfilesPage extends PageElement {
  private draft: { name: string; version: string; cloud: Profile['cloud']; type: Profile['type']; layers: Layer[]; from?: string } | undefined;
  private dialogError: unknown;
  private busy = false;

  private load = (cursor?: string) => expectOk(this.ctx.client.GET('/v1/projects/{p}/clusterprofiles', { params: { path: { p: this.projectId }, query: { cursor, limit: 25 } } }));

  private async open(from?: Profile) {
    this.draft = from
      ? { name: from.name, version: from.version.replace(/^(\d+)\.(\d+)\..*$/, (_, a: string, b: string) => `${a}.${Number(b) + 1}.0`), cloud: from.cloud, type: from.type, from: from.version,
          layers: from.layers.filter((l) => l.type !== 'helm').map((l) => ({ type: l.type, name: l.name, version: l.version, manifest: l.manifests?.map((m) => m.content).join('\n---\n') ?? '' })) }
      : { name: '', version: '1.0.0', cloud: 'sim', type: 'full', layers: DEFAULT_LAYERS.map((l) => ({ ...l })) };
    this.dialogError = undefined;
    this.requestUpdate();
    await this.updateComplete;
    await (this.querySelector('sl-dialog.profile-dialog') as HTMLElement & { show(): Promise<void> }).show();
  }

  private close() {
    void (this.querySelector('sl-dialog.profile-dialog') as HTMLElement & { hide(): Promise<void> }).hide();
  }

  private async submit(event: SubmitEvent) {
    event.preventDefault();
    const d = this.draft;
    if (!d || this.busy) return;
    this.busy = true;
    this.dialogError = undefined;
    this.requestUpdate();
    try {
      const body: Schemas['CreateClusterProfile'] = {
        name: d.name.trim(), version: d.version.trim(), cloud: d.cloud, type: d.type, variables: [],
        layers: d.layers.map((l) => ({ type: l.type, name: l.name.trim(), version: l.version.trim(), ...(l.manifest.trim() ? { manifests: [{ name: l.name.trim() || 'manifest', content: l.manifest }] } : {}) })),
      };
      await expectOk(this.ctx.client.POST('/v1/projects/{p}/clusterprofiles', { params: { path: { p: this.projectId } }, body }));
      this.close();
      await this.refreshLists();
    } catch (error) {
      this.dialogError = error;
    } finally {
      this.busy = false;
      this.requestUpdate();
    }
  }

  private columns(): Column<Profile>[] {
    const canEdit = this.ctx.perms.canEdit(this.projectId);
    return [
      { header: 'Name', cell: (p) => html`<strong>${p.name}</strong>` },
      { header: 'Version', cell: (p) => p.version },
      { header: 'Cloud', cell: (p) => p.cloud },
      { header: 'Type', cell: (p) => p.type },
      { header: 'Kubernetes', cell: (p) => p.kubernetesVersion ?? '—' },
      { header: 'Layers', cell: (p) => html`<ol class="tier-list">${p.layers.map((l) => html`<li>${l.type}: ${l.name} ${l.version}</li>`)}</ol>` },
      { header: 'Created', cell: (p) => when(p.createdAt) },
      { header: 'Actions', cell: (p) => (canEdit ? html`<sl-button size="small" @click=${() => void this.open(p)}>New version</sl-button>` : nothing) },
    ];
  }

  private renderDialog() {
    const d = this.draft;
    if (!d) return nothing;
    const errors = fieldErrors(this.dialogError);
    const help = (path: string, fallback = '') => errors.get(path) ?? fallback;
    const cls = (path: string) => ([...errors.keys()].some((k) => k === path || k.startsWith(`${path}.`)) ? 'invalid' : '');
    const set = (fn: () => void) => { fn(); this.requestUpdate(); };
    return html`<form class="fields" @submit=${(e: SubmitEvent) => void this.submit(e)}>
      <error-banner .error=${this.dialogError}></error-banner>
      <div class="row">
        <sl-input label="Name" required ?readonly=${!!d.from} .value=${live(d.name)} class=${cls('name')} help-text=${help('name')} @sl-input=${(e: Event) => (d.name = (e.target as HTMLInputElement).value)}></sl-input>
        <sl-input label="Version" required .value=${live(d.version)} class=${cls('version')} help-text=${help('version', 'semver; versions are immutable')} @sl-input=${(e: Event) => (d.version = (e.target as HTMLInputElement).value)}></sl-input>
      </div>
      <div class="row">
        <sl-select label="Cloud" .value=${live(d.cloud)} hoist @sl-change=${(e: Event) => set(() => (d.cloud = (e.target as HTMLSelectElement).value as Profile['cloud']))}>
          ${['sim', 'eks', 'aks', 'gke', 'vsphere', 'edge', 'all'].map((c) => html`<sl-option value=${c}>${c}</sl-option>`)}
        </sl-select>
        <sl-select label="Type" .value=${live(d.type)} hoist @sl-change=${(e: Event) => set(() => (d.type = (e.target as HTMLSelectElement).value as Profile['type']))}>
          ${['full', 'infra', 'add-on'].map((t) => html`<sl-option value=${t}>${t}</sl-option>`)}
        </sl-select>
      </div>
      <h3>Layers</h3>
      ${errors.get('layers') ? html`<p class="field-error">${errors.get('layers')}</p>` : nothing}
      ${d.layers.map(
        (l, i) => html`<fieldset class="layer"><legend>Layer ${i + 1}</legend>
          <div class="row">
            <sl-select label="Layer type" .value=${live(l.type)} hoist class=${cls(`layers.${i}.type`)} help-text=${help(`layers.${i}.type`)} @sl-change=${(e: Event) => set(() => (l.type = (e.target as HTMLSelectElement).value as Layer['type']))}>
              ${['os', 'k8s', 'cni', 'csi', 'addon'].map((t) => html`<sl-option value=${t}>${t}</sl-option>`)}
            </sl-select>
            <sl-input label="Layer name" required .value=${live(l.name)} class=${cls(`layers.${i}.name`)} help-text=${help(`layers.${i}.name`)} @sl-input=${(e: Event) => (l.name = (e.target as HTMLInputElement).value)}></sl-input>
            <sl-input label="Layer version" required .value=${live(l.version)} class=${cls(`layers.${i}.version`)} help-text=${help(`layers.${i}.version`)} @sl-input=${(e: Event) => (l.version = (e.target as HTMLInputElement).value)}></sl-input>
          </div>
          ${l.type === 'addon'
            ? html`<sl-textarea label="Manifests (YAML)" rows="4" .value=${live(l.manifest)} class=${cls(`layers.${i}.manifests`)} help-text=${help(`layers.${i}.manifests`, 'may use {{ .spectro.var.NAME }}')} @sl-input=${(e: Event) => (l.manifest = (e.target as HTMLTextAreaElement).value)}></sl-textarea>`
            : nothing}
          <sl-button size="small" variant="danger" outline @click=${() => set(() => d.layers.splice(i, 1))}>Remove layer</sl-button>
        </fieldset>`,
      )}
      <sl-button size="small" @click=${() => set(() => d.layers.push({ type: 'addon', name: '', version: '1.0.0', manifest: '' }))}>Add layer</sl-button>
      <div class="form-actions">
        <sl-button @click=${() => this.close()}>Cancel</sl-button>
        <sl-button type="submit" variant="primary" ?loading=${this.busy}>Create version</sl-button>
      </div>
    </form>`;
  }

  override render() {
    const canEdit = this.ctx.perms.canEdit(this.projectId);
    return html`${pageHead('Cluster profiles', canEdit ? html`<sl-button variant="primary" @click=${() => void this.open()}>Create cluster profile</sl-button>` : nothing,
        'Each version of a profile is its own immutable resource; a cluster upgrades by moving to another version of its profile.')}
      <error-banner class="page-error" .error=${this.error}></error-banner>
      <paged-table caption="Cluster profile versions" empty="No cluster profiles yet." .load=${this.load} .columns=${this.columns()}></paged-table>
      <sl-dialog class="profile-dialog wide" label=${this.draft?.from ? `New version of ${this.draft.name} (from ${this.draft.from})` : 'Create a cluster profile'}>${this.renderDialog()}</sl-dialog>`;
  }
}
customElements.define('page-cluster-profiles', ClusterProfilesPage);
