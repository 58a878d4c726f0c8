import { html, nothing } from 'lit';
import { expectOk, when, type Schemas } from '../../api.ts';
import { pageHead } from '../../components/bits.ts';
import { confirmAction, type Field } from '../../components/form-dialog.ts';
import type { Column } from '../../components/paged-table.ts';
import { PageElement } from '../../page.ts';

type CloudAccount = Schemas['CloudAccount'];
const is = (provider: string) => (v: Record<string, unknown>) => v.provider === provider;

const FIELDS: Field[] = [
  { name: 'name', label: 'Name', required: true },
  {
    name: 'provider', label: 'Provider', type: 'select', required: true, value: 'sim',
    options: [
      { value: 'sim', label: 'Simulated cloud (sim)' }, { value: 'aws', label: 'AWS (EKS)' }, { value: 'azure', label: 'Azure (AKS)' },
      { value: 'gcp', label: 'Google Cloud (GKE)' }, { value: 'vsphere', label: 'vSphere (through a gateway)' }, { value: 'edge', label: 'Edge hosts' },
    ],
  },
  { name: 'sim.provisionSeconds', label: 'Provisioning time (seconds)', type: 'number', min: 0, value: '5', showIf: is('sim') },
  { name: 'sim.failProvisioning', label: 'Fail every provisioning (for trying errors)', type: 'checkbox', showIf: is('sim') },
  { name: 'aws.roleArn', label: 'Role ARN', required: true, showIf: is('aws'), help: 'arn:aws:iam::<account>:role/<name>' },
  { name: 'aws.externalId', label: 'External ID', required: true, showIf: is('aws') },
  { name: 'azure.tenantId', label: 'Tenant ID', required: true, showIf: is('azure') },
  { name: 'azure.clientId', label: 'Client ID', required: true, showIf: is('azure') },
  { name: 'azure.clientSecret', label: 'Client secret', type: 'password', required: true, showIf: is('azure') },
  { name: 'azure.subscriptionId', label: 'Subscription ID', required: true, showIf: is('azure') },
  { name: 'gcp.projectId', label: 'GCP project ID', required: true, showIf: is('gcp') },
  { name: 'gcp.serviceAccountKey', label: 'Service account key (JSON)', type: 'textarea', required: true, showIf: is('gcp') },
  { name: 'vsphere.gatewayId', label: 'Gateway ID', required: true, showIf: is('vsphere'), help: 'ag_… (see the project\'s gateways)' },
  { name: 'vsphere.vcenter', label: 'vCenter', required: true, showIf: is('vsphere') },
  { name: 'vsphere.datacenter', label: 'Datacenter', required: true, showIf: is('vsphere') },
  { name: 'vsphere.datastore', label: 'Datastore', required: true, showIf: is('vsphere') },
  { name: 'vsphere.network', label: 'Network', required: true, showIf: is('vsphere') },
  { name: 'vsphere.username', label: 'Username', required: true, showIf: is('vsphere') },
  { name: 'vsphere.password', label: 'Password', type: 'password', required: true, showIf: is('vsphere') },
];

const details = (a: CloudAccount) =>
  a.sim ? `provisions in ${a.sim.provisionSeconds} s${a.sim.failProvisioning ? ', always fails' : ''}`
  : a.aws ? a.aws.roleArn
  : a.azure ? `subscription ${a.azure.subscriptionId}`
  : a.gcp ? `project ${a.gcp.projectId}`
  : a.vsphere ? `${a.vsphere.vcenter} / ${a.vsphere.datacenter}`
  : '';

/** Cloud accounts of the project: the credentials clusters are made with, and a check of each. */
export class CloudAccountsPage extends PageElement {
  private checks = new Map<string, Schemas['CloudAccountValidation'] | 'checking'>();

  private load = (cursor?: string) => expectOk(this.ctx.client.GET('/v1/projects/{p}/cloudaccounts', { params: { path: { p: this.projectId }, query: { cursor, limit: 25 } } }));

  private create() {
    this.form.open({
      label: 'Add a cloud account',
      submitLabel: 'Add',
      fields: FIELDS,
      submit: async (body) => {
        await expectOk(this.ctx.client.POST('/v1/projects/{p}/cloudaccounts', { params: { path: { p: this.projectId } }, body: body as Schemas['CreateCloudAccount'] }));
        await this.refreshLists();
      },
    });
  }

  private async validate(a: CloudAccount) {
    this.checks.set(a.id, 'checking');
    this.requestUpdate();
    const result = await this.act(() => expectOk(this.ctx.client.POST('/v1/projects/{p}/cloudaccounts/{id}/validate', { params: { path: { p: this.projectId, id: a.id } } })));
    if (result) this.checks.set(a.id, result);
    else this.checks.delete(a.id);
    this.requestUpdate();
  }

  private async destroy(a: CloudAccount) {
    if (!(await confirmAction(`Delete the cloud account ${a.name}?`))) return;
    await this.act(() => expectOk(this.ctx.client.DELETE('/v1/projects/{p}/cloudaccounts/{id}', { params: { path: { p: this.projectId, id: a.id } } })));
  }

  private columns(): Column<CloudAccount>[] {
    const canEdit = this.ctx.perms.canEdit(this.projectId);
    return [
      { header: 'Name', cell: (a) => html`<strong>${a.name}</strong>` },
      { header: 'Provider', cell: (a) => a.provider },
      { header: 'Details', cell: (a) => html`${details(a)}${a.secretSet ? html` <span class="muted">(secret stored)</span>` : nothing}` },
      { header: 'Created', cell: (a) => when(a.createdAt) },
      {
        header: 'Check',
        cell: (a) => {
          const check = this.checks.get(a.id);
          return html`<div class="stack">
            <sl-button size="small" ?loading=${check === 'checking'} @click=${() => void this.validate(a)}>Validate</sl-button>
            ${check && check !== 'checking' ? html`<div role="status" class="validation">${check.valid ? html`<span class="phase ok">Valid</span>` : html`<span class="phase bad">Not valid</span>`} ${check.message}</div>` : nothing}
          </div>`;
        },
      },
      { header: 'Actions', cell: (a) => (canEdit ? html`<sl-button size="small" variant="danger" outline @click=${() => void this.destroy(a)}>Delete</sl-button>` : nothing) },
    ];
  }

  override render() {
    const canEdit = this.ctx.perms.canEdit(this.projectId);
    return html`${pageHead('Cloud accounts', canEdit ? html`<sl-button variant="primary" @click=${() => this.create()}>Add cloud account</sl-button>` : nothing,
        'Where host clusters are built. Secrets are sealed when stored and never shown again.')}
      <error-banner class="page-error" .error=${this.error}></error-banner>
      <paged-table caption="Cloud accounts" empty="No cloud accounts yet." .load=${this.load} .columns=${this.columns()}></paged-table>
      <form-dialog></form-dialog>`;
  }
}
customElements.define('page-cloud-accounts', CloudAccountsPage);
