import { html, nothing } from 'lit';
import { live } from 'lit/directives/live.js';
import { all, expectOk, fieldErrors, gib, usd, type Schemas } from '../../api.ts';
import { pageHead } from '../../components/bits.ts';
import { PageElement } from '../../page.ts';

type CloudAccount = Schemas['CloudAccount'];
type Profile = Schemas['ClusterProfile'];
type InstanceType = Schemas['InstanceTypeList']['items'][number];
type Pool = { name: string; instanceType: string; count: string; min: string; max: string };

/** The cloud account's provider as the instance-type catalogue and profiles name it. */
const CLOUD: Record<CloudAccount['provider'], Profile['cloud'] | undefined> = { aws: 'eks', azure: 'aks', gcp: 'gke', vsphere: 'vsphere', sim: 'sim', edge: 'edge' };
const REGION: Partial<Record<CloudAccount['provider'], string>> = { sim: 'sim-local-1', aws: 'us-east-1', azure: 'eastus', gcp: 'us-central1', vsphere: 'dc-1' };
const STEPS = ['Basics', 'Profile', 'Node pools', 'Review'] as const;

/**
 * Creating a host cluster in four steps: where (name, cloud account, region), what (the
 * cluster profile and its variables), the node pools (instance types from
 * GET /v1/instancetypes), and a review. On 202 it opens the cluster, whose operation's
 * steps show as they run.
 */
export class ClusterWizardPage extends PageElement {
  private step = 0;
  private accounts: CloudAccount[] = [];
  private profiles: Profile[] = [];
  private types: InstanceType[] = [];
  private typesFor = '';
  private busy = false;
  private d = {
    name: '',
    cloudAccountId: '',
    region: '',
    profileId: '',
    variables: {} as Record<string, string>,
    pools: [{ name: 'workers', instanceType: '', count: '2', min: '', max: '' }] as Pool[],
    hostCluster: true,
    subnetIds: '',
  };

  protected override async init() {
    try {
      const p = this.projectId;
      [this.accounts, this.profiles] = await Promise.all([
        all((cursor) => expectOk(this.ctx.client.GET('/v1/projects/{p}/cloudaccounts', { params: { path: { p }, query: { cursor, limit: 100 } } }))),
        all((cursor) => expectOk(this.ctx.client.GET('/v1/projects/{p}/clusterprofiles', { params: { path: { p }, query: { cursor, limit: 100 } } }))),
      ]);
      const sim = this.accounts.find((a) => a.provider === 'sim') ?? this.accounts[0];
      if (sim) this.pickAccount(sim.id);
    } catch (error) {
      this.error = error;
    }
    this.requestUpdate();
  }

  private get account() {
    return this.accounts.find((a) => a.id === this.d.cloudAccountId);
  }
  private get profile() {
    return this.profiles.find((p) => p.id === this.d.profileId);
  }
  private get cloud() {
    return this.account ? CLOUD[this.account.provider] : undefined;
  }
  private get usableProfiles() {
    return this.profiles.filter((p) => p.cloud === 'all' || p.cloud === this.cloud);
  }

  private pickAccount(id: string) {
    this.d.cloudAccountId = id;
    const account = this.account;
    if (account) this.d.region = REGION[account.provider] ?? '';
    if (!this.usableProfiles.some((p) => p.id === this.d.profileId)) this.pickProfile(this.usableProfiles.at(-1)?.id ?? '');
    void this.loadTypes();
    this.requestUpdate();
  }

  private pickProfile(id: string) {
    this.d.profileId = id;
    this.d.variables = Object.fromEntries((this.profile?.variables ?? []).map((v) => [v.name, v.default === undefined ? '' : String(v.default)]));
    this.requestUpdate();
  }

  private async loadTypes() {
    const cloud = this.cloud;
    if (!cloud || cloud === 'edge' || cloud === 'all') {
      this.types = [];
      return;
    }
    const key = `${cloud}/${this.d.region}`;
    if (key === this.typesFor) return;
    this.typesFor = key;
    try {
      const list = await expectOk(this.ctx.client.GET('/v1/instancetypes', { params: { query: { provider: cloud as 'sim', ...(this.d.region ? { region: this.d.region } : {}) } } }));
      this.types = list.items;
      for (const pool of this.d.pools) if (!this.types.some((t) => t.name === pool.instanceType)) pool.instanceType = this.types.find((t) => !t.gpu)?.name ?? this.types[0]?.name ?? '';
    } catch (error) {
      this.error = error;
    }
    this.requestUpdate();
  }

  private body(): Schemas['CreateHostCluster'] {
    const n = (s: string) => (s.trim() === '' ? undefined : Number(s));
    return {
      name: this.d.name.trim(),
      cloudAccountId: this.d.cloudAccountId,
      region: this.d.region.trim(),
      profileId: this.d.profileId,
      variables: Object.fromEntries(Object.entries(this.d.variables).filter(([, v]) => v !== '')),
      nodePools: this.d.pools.map((p) => ({ name: p.name.trim(), instanceType: p.instanceType, count: Number(p.count), ...(n(p.min) !== undefined ? { min: n(p.min) } : {}), ...(n(p.max) !== undefined ? { max: n(p.max) } : {}) })),
      hostCluster: { enabled: this.d.hostCluster },
      ...(this.account?.provider === 'aws' ? { network: { subnetIds: this.d.subnetIds.split(/[\s,]+/).filter(Boolean) } } : {}),
    };
  }

  /** The first step with a field the API refused (its message is shown at the field). */
  private stepOf(path: string) {
    if (/^(name|cloudAccountId|region|network)/.test(path)) return 0;
    if (/^(profileId|variables)/.test(path)) return 1;
    if (/^(nodePools|hostCluster)/.test(path)) return 2;
    return 3;
  }

  private go(step: number) {
    const form = this.querySelector('form.wizard') as HTMLFormElement | null;
    if (step > this.step && form && !form.reportValidity()) return;
    this.step = step;
    this.requestUpdate();
    void this.updateComplete.then(() => this.querySelector<HTMLElement>('fieldset legend')?.scrollIntoView({ block: 'nearest' }));
  }

  private async create() {
    this.busy = true;
    this.error = undefined;
    this.requestUpdate();
    try {
      const cluster = await expectOk(this.ctx.client.POST('/v1/projects/{p}/clusters', { params: { path: { p: this.projectId } }, body: this.body() }));
      this.ctx.navigate(`cluster/clusters/${cluster.id}`);
    } catch (error) {
      this.error = error;
      const first = [...fieldErrors(error).keys()][0];
      if (first !== undefined) this.step = this.stepOf(first);
    } finally {
      this.busy = false;
      this.requestUpdate();
    }
  }

  private text(label: string, value: string, set: (v: string) => void, options: { path?: string; required?: boolean; help?: string; type?: string } = {}) {
    const error = options.path ? fieldErrors(this.error).get(options.path) : undefined;
    return html`<sl-input label=${label} type=${options.type ?? 'text'} ?required=${options.required} .value=${live(value)} autocomplete="off"
      class=${error ? 'invalid' : ''} help-text=${error ?? options.help ?? ''} @sl-input=${(e: Event) => { set((e.target as HTMLInputElement).value); this.requestUpdate(); }}></sl-input>`;
  }

  private renderStep() {
    const d = this.d;
    const errors = fieldErrors(this.error);
    switch (this.step) {
      case 0:
        return html`<fieldset><legend>Basics</legend>
          ${this.text('Cluster name', d.name, (v) => (d.name = v), { path: 'name', required: true, help: 'Lower-case letters, digits and dashes' })}
          <sl-select label="Cloud account" required .value=${live(d.cloudAccountId)} hoist class=${errors.has('cloudAccountId') ? 'invalid' : ''} help-text=${errors.get('cloudAccountId') ?? ''}
            @sl-change=${(e: Event) => this.pickAccount((e.target as HTMLSelectElement).value)}>
            ${this.accounts.map((a) => html`<sl-option value=${a.id}>${a.name} (${a.provider})</sl-option>`)}
          </sl-select>
          ${this.text('Region', d.region, (v) => { d.region = v; void this.loadTypes(); }, { path: 'region', required: true })}
          ${this.account?.provider === 'aws' ? this.text('Subnet IDs', d.subnetIds, (v) => (d.subnetIds = v), { path: 'network.subnetIds', required: true, help: 'At least two, separated by commas' }) : nothing}
        </fieldset>`;
      case 1: {
        const vars = this.profile?.variables ?? [];
        return html`<fieldset><legend>Cluster profile</legend>
          <sl-select label="Profile" required .value=${live(d.profileId)} hoist class=${errors.has('profileId') ? 'invalid' : ''}
            help-text=${errors.get('profileId') ?? (this.usableProfiles.length ? `Profiles for ${this.cloud} or all clouds` : 'No profile fits this cloud account: create one under Cluster profiles')}
            @sl-change=${(e: Event) => this.pickProfile((e.target as HTMLSelectElement).value)}>
            ${this.usableProfiles.map((p) => html`<sl-option value=${p.id}>${p.name} ${p.version} (Kubernetes ${p.kubernetesVersion ?? '—'})</sl-option>`)}
          </sl-select>
          ${this.profile ? html`<p class="muted">Layers: ${this.profile.layers.map((l) => `${l.type} ${l.name} ${l.version}`).join(' · ')}</p>` : nothing}
          ${vars.map((v) => this.text(`Variable ${v.name}${v.required ? '' : ' (optional)'}`, d.variables[v.name] ?? '', (value) => (d.variables[v.name] = value), { path: `variables.${v.name}`, required: v.required, help: v.regex ? `must match ${v.regex}` : v.format }))}
        </fieldset>`;
      }
      case 2:
        return html`<fieldset><legend>Node pools</legend>
          ${d.pools.map((p, i) => {
            const at = (f: string) => `nodePools.${i}.${f}`;
            return html`<div class="pool" data-pool=${i}>
              <div class="row">
                ${this.text('Pool name', p.name, (v) => (p.name = v), { path: at('name'), required: true })}
                <sl-select label="Instance type" required .value=${live(p.instanceType)} hoist class=${errors.has(at('instanceType')) ? 'invalid' : ''} help-text=${errors.get(at('instanceType')) ?? ''}
                  @sl-change=${(e: Event) => { p.instanceType = (e.target as HTMLSelectElement).value; this.requestUpdate(); }}>
                  ${this.types.map((t) => html`<sl-option value=${t.name}>${t.name}: ${t.cpu} CPU, ${gib(t.memoryMiB)}${t.gpu ? `, ${t.gpu.count} × ${t.gpu.model}` : ''}, ${usd(t.pricePerHour)}/h</sl-option>`)}
                </sl-select>
              </div>
              <div class="row">
                ${this.text('Nodes', p.count, (v) => (p.count = v), { path: at('count'), required: true, type: 'number' })}
                ${this.text('Min (optional)', p.min, (v) => (p.min = v), { path: at('min'), type: 'number' })}
                ${this.text('Max (optional)', p.max, (v) => (p.max = v), { path: at('max'), type: 'number' })}
              </div>
              ${d.pools.length > 1 ? html`<sl-button size="small" variant="danger" outline @click=${() => { d.pools.splice(i, 1); this.requestUpdate(); }}>Remove pool ${p.name}</sl-button>` : nothing}
            </div>`;
          })}
          <sl-button size="small" @click=${() => { d.pools.push({ name: `pool-${d.pools.length + 1}`, instanceType: this.types[0]?.name ?? '', count: '1', min: '', max: '' }); this.requestUpdate(); }}>Add node pool</sl-button>
          <sl-checkbox .checked=${live(d.hostCluster)} @sl-change=${(e: Event) => { d.hostCluster = (e.target as HTMLInputElement).checked; }}>Host virtual clusters (the cluster may join a cluster group)</sl-checkbox>
        </fieldset>`;
      default: {
        const b = this.body();
        return html`<fieldset><legend>Review</legend>
          <dl class="review">
            <dt>Name</dt><dd>${b.name}</dd>
            <dt>Cloud account</dt><dd>${this.account?.name} (${this.account?.provider}), ${b.region}</dd>
            <dt>Profile</dt><dd>${this.profile ? `${this.profile.name} ${this.profile.version}` : '—'}</dd>
            <dt>Variables</dt><dd>${Object.entries(b.variables).map(([k, v]) => `${k}=${v}`).join(', ') || '—'}</dd>
            <dt>Node pools</dt><dd>${b.nodePools.map((p) => `${p.name}: ${p.count} × ${p.instanceType}`).join('; ')}</dd>
            <dt>Virtual clusters</dt><dd>${b.hostCluster.enabled ? 'Allowed' : 'Not allowed'}</dd>
          </dl>
        </fieldset>`;
      }
    }
  }

  override render() {
    if (!this.ctx.perms.canEdit(this.projectId)) {
      return html`${pageHead('Create a cluster')}<p>Your role in ${this.ctx.project.name} does not allow creating clusters.</p>`;
    }
    const last = this.step === STEPS.length - 1;
    return html`${pageHead('Create a cluster', nothing, `A host cluster in ${this.ctx.project.name}.`)}
      <ol class="wizard-steps" aria-label="Steps">
        ${STEPS.map((s, i) => html`<li aria-current=${i === this.step ? 'step' : nothing}>${s}</li>`)}
      </ol>
      <error-banner class="page-error" .error=${this.error}></error-banner>
      <form class="wizard" @submit=${(e: SubmitEvent) => { e.preventDefault(); if (last) void this.create(); else this.go(this.step + 1); }}>
        ${this.renderStep()}
        <div class="form-actions">
          <sl-button @click=${() => (this.step === 0 ? this.ctx.navigate('cluster/clusters') : this.go(this.step - 1))}>${this.step === 0 ? 'Cancel' : 'Back'}</sl-button>
          <sl-button type="submit" variant="primary" ?loading=${this.busy}>${last ? 'Create cluster' : 'Next'}</sl-button>
        </div>
      </form>`;
  }
}
customElements.define('page-cluster-wizard', ClusterWizardPage);
