import { html, nothing } from 'lit';
import { all, expectOk, when, type Schemas } from '../../api.ts';
import { transitional } from '../../components/base.ts';
import { pageHead, phase } from '../../components/bits.ts';
import { confirmAction } from '../../components/form-dialog.ts';
import type { Column } from '../../components/paged-table.ts';
import { PageElement } from '../../page.ts';

type App = Schemas['App'];
type Webhook = Schemas['Webhook'];

/** Apps deployed from app profiles into virtual clusters: each tier's status, updates, webhooks. */
export class AppsPage extends PageElement {
  private vcNames = new Map<string, string>();
  private appNames = new Map<string, string>();
  private created: Schemas['CreatedWebhook'] | undefined;

  private loadApps = (cursor?: string) => expectOk(this.ctx.client.GET('/v1/projects/{p}/apps', { params: { path: { p: this.projectId }, query: { cursor, limit: 25 } } }));
  private loadHooks = (cursor?: string) => expectOk(this.ctx.client.GET('/v1/projects/{p}/webhooks', { params: { path: { p: this.projectId }, query: { cursor, limit: 25 } } }));

  private virtualClusters = () =>
    all((cursor) => expectOk(this.ctx.client.GET('/v1/projects/{p}/virtualclusters', { params: { path: { p: this.projectId }, query: { cursor, limit: 100 } } })));

  protected override async init() {
    try {
      for (const vc of await this.virtualClusters()) this.vcNames.set(vc.id, vc.name);
      this.requestUpdate();
    } catch (error) {
      this.error = error;
    }
  }

  private async deploy() {
    const [profiles, vcs] = await Promise.all([
      all((cursor) => expectOk(this.ctx.client.GET('/v1/projects/{p}/appprofiles', { params: { path: { p: this.projectId }, query: { cursor, limit: 100 } } }))),
      this.virtualClusters(),
    ]).catch((error: unknown) => {
      this.error = error;
      this.requestUpdate();
      return [[], []] as const;
    });
    this.form.open({
      label: 'Deploy an app',
      submitLabel: 'Deploy',
      fields: [
        { name: 'name', label: 'Name', required: true },
        { name: 'appProfileId', label: 'App profile', type: 'select', required: true, options: profiles.map((p) => ({ value: p.id, label: `${p.name} ${p.version}` })), help: profiles.length ? '' : 'Create an app profile first.' },
        {
          name: 'virtualClusterId',
          label: 'Virtual cluster',
          type: 'select',
          required: true,
          options: vcs.map((vc) => ({ value: vc.id, label: `${vc.name} (${vc.status.phase})`, disabled: vc.status.phase !== 'Running' })),
          help: 'Apps deploy into a Running virtual cluster.',
        },
      ],
      submit: async (body) => {
        await expectOk(this.ctx.client.POST('/v1/projects/{p}/apps', { params: { path: { p: this.projectId } }, body: body as Schemas['CreateApp'] }));
        await this.refreshLists();
      },
    });
  }

  private upgrade = (app: App) =>
    this.act(() =>
      expectOk(this.ctx.client.POST('/v1/projects/{p}/apps/{id}/upgrade', { params: { path: { p: this.projectId, id: app.id } }, body: { appProfileId: app.updateAvailable!.appProfileId } })),
    );

  private async destroy(app: App) {
    if (!(await confirmAction(`Delete the app ${app.name}? Its tiers are removed from the virtual cluster.`))) return;
    await this.act(() => expectOk(this.ctx.client.DELETE('/v1/projects/{p}/apps/{id}', { params: { path: { p: this.projectId, id: app.id } } })));
  }

  private async createWebhook(app: App) {
    const created = await this.act(() =>
      expectOk(this.ctx.client.POST('/v1/projects/{p}/webhooks', { params: { path: { p: this.projectId } }, body: { name: `${app.name}-deploy`, appId: app.id } })),
    );
    if (!created) return;
    this.created = created;
    this.requestUpdate();
    await this.updateComplete;
    await (this.querySelector('sl-dialog.webhook-created') as HTMLElement & { show(): Promise<void> }).show();
  }

  private async removeHook(hook: Webhook) {
    if (!(await confirmAction(`Delete the webhook ${hook.name}? Deliveries to its URL stop working.`))) return;
    await this.act(() => expectOk(this.ctx.client.DELETE('/v1/projects/{p}/webhooks/{id}', { params: { path: { p: this.projectId, id: hook.id } } })));
  }

  private appColumns(): Column<App>[] {
    const canEdit = this.ctx.perms.canEdit(this.projectId);
    return [
      { header: 'Name', cell: (a) => html`<strong>${a.name}</strong><div class="muted">revision ${a.revision}</div>` },
      { header: 'Profile', cell: (a) => `${a.profileName} ${a.profileVersion}` },
      { header: 'Virtual cluster', cell: (a) => this.vcNames.get(a.virtualClusterId) ?? a.virtualClusterId },
      {
        header: 'Status',
        cell: (a) => html`${phase(a.status.phase)}
          ${a.status.message ? html`<div class="muted">${a.status.message}</div>` : nothing}
          <div class="tiers" aria-label=${`Tiers of ${a.name}`}>${a.status.tiers.map((t) => html`<span data-tier=${t.name}>${phase(t.phase, t.name)}</span>`)}</div>
          ${transitional(a.status.phase) && a.operationId ? html`<operation-progress compact .client=${this.ctx.client} operation-id=${a.operationId}></operation-progress>` : nothing}`,
      },
      {
        header: 'Updates',
        cell: (a) =>
          a.updateAvailable
            ? html`<div class="update-available"><span class="phase busy">Update available: ${a.updateAvailable.version}</span>
                ${canEdit && !transitional(a.status.phase) ? html`<div><sl-button size="small" variant="primary" @click=${() => void this.upgrade(a)}>Upgrade to ${a.updateAvailable.version}</sl-button></div>` : nothing}</div>`
            : html`<span class="muted">Up to date</span>`,
      },
      {
        header: 'Actions',
        cell: (a) =>
          canEdit
            ? html`<div class="actions">
                <sl-button size="small" @click=${() => void this.createWebhook(a)}>Add webhook</sl-button>
                ${a.status.phase !== 'Deleting' ? html`<sl-button size="small" variant="danger" outline @click=${() => void this.destroy(a)}>Delete</sl-button>` : nothing}
              </div>`
            : nothing,
      },
    ];
  }

  private hookColumns(): Column<Webhook>[] {
    const canEdit = this.ctx.perms.canEdit(this.projectId);
    return [
      { header: 'Name', cell: (h) => h.name },
      { header: 'App', cell: (h) => this.appNames.get(h.appId) ?? h.appId },
      { header: 'URL', cell: (h) => html`<code>${h.url}</code>` },
      { header: 'Last delivery', cell: (h) => when(h.lastDeliveryAt) },
      { header: 'Actions', cell: (h) => (canEdit ? html`<sl-button size="small" variant="danger" outline @click=${() => void this.removeHook(h)}>Delete</sl-button>` : nothing) },
    ];
  }

  override render() {
    const canEdit = this.ctx.perms.canEdit(this.projectId);
    const c = this.created;
    return html`${pageHead('Apps', canEdit ? html`<sl-button variant="primary" @click=${() => void this.deploy()}>Deploy app</sl-button>` : nothing, 'Each app runs the tiers of its app profile, in order, in one virtual cluster.')}
      <error-banner class="page-error" .error=${this.error}></error-banner>
      <paged-table class="apps" caption="Apps" empty="No apps yet." .load=${this.loadApps} .columns=${this.appColumns()}
        .poll=${(items: App[]) => items.some((a) => transitional(a.status.phase))}
        @loaded=${(e: CustomEvent<App[]>) => { for (const a of e.detail) this.appNames.set(a.id, a.name); }}></paged-table>
      <h2>Webhooks</h2>
      <p class="lead">A signed POST to a webhook's URL redeploys or upgrades its app (from CI, or a GitHub webhook).</p>
      <paged-table class="webhooks" caption="Webhooks" empty="No webhooks yet." .load=${this.loadHooks} .columns=${this.hookColumns()}></paged-table>
      <form-dialog></form-dialog>
      <sl-dialog class="webhook-created" label="Webhook created" @sl-after-hide=${(e: Event) => { if (e.target === e.currentTarget) { this.created = undefined; this.requestUpdate(); } }}>
        ${c
          ? html`<div class="secret stack">
              <p><strong>Copy the secret now: it is shown only once.</strong> Sign each delivery with <code>X-Hub-Signature-256: sha256=&lt;HMAC-SHA256 of the body&gt;</code>.</p>
              <sl-input readonly label="URL" name="webhook-url" .value=${c.url}></sl-input>
              <sl-input readonly label="Secret" name="webhook-secret" .value=${c.secret}></sl-input>
            </div>`
          : nothing}
        <div class="form-actions"><sl-button variant="primary" @click=${(e: Event) => void ((e.target as HTMLElement).closest('sl-dialog') as HTMLElement & { hide(): Promise<void> }).hide()}>Done</sl-button></div>
      </sl-dialog>`;
  }
}
customElements.define('page-apps', AppsPage);
