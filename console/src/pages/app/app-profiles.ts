import { html, nothing } from 'lit';
import { expectOk, fieldErrors, when, type Schemas } from '../../api.ts';
import { pageHead } from '../../components/bits.ts';
import type { Column } from '../../components/paged-table.ts';
import { PageElement } from '../../page.ts';
import { emptyTier, fromTier, toTier, type TiersEditor } from './tiers-editor.ts';
import './tiers-editor.ts';

type AppProfile = Schemas['AppProfile'];

/** App profiles: versioned, immutable templates of an app's tiers. */
export class AppProfilesPage extends PageElement {
  private editing: { name: string; version: string; description: string; fromVersion?: string } | undefined;
  private dialogError: unknown;
  private busy = false;
  private registries: Array<{ id: string; name: string }> = [];

  private load = (cursor?: string) => expectOk(this.ctx.client.GET('/v1/projects/{p}/appprofiles', { params: { path: { p: this.projectId }, query: { cursor, limit: 25 } } }));

  private get editor() {
    return this.querySelector('tiers-editor') as TiersEditor;
  }

  private async open(from?: AppProfile) {
    if (!this.registries.length) {
      this.registries = await expectOk(this.ctx.client.GET('/v1/registries', { params: { query: { limit: 100 } } })).then((r) => r.items, () => []);
    }
    this.editing = from ? { name: from.name, version: bump(from.version), description: from.description, fromVersion: from.version } : { name: '', version: '1.0.0', description: '' };
    this.dialogError = undefined;
    this.requestUpdate();
    await this.updateComplete;
    this.editor.tiers = from ? from.tiers.map(fromTier) : [emptyTier('database', 'db'), emptyTier('container', 'web')];
    this.editor.errors = new Map();
    await (this.querySelector('sl-dialog.profile-dialog') as HTMLElement & { show(): Promise<void> }).show();
  }

  private close() {
    void (this.querySelector('sl-dialog.profile-dialog') as HTMLElement & { hide(): Promise<void> }).hide();
  }

  private async submit(event: SubmitEvent) {
    event.preventDefault();
    if (!this.editing || this.busy) return;
    const form = event.target as HTMLFormElement;
    const value = (name: string) => (form.querySelector(`[name=${name}]`) as HTMLInputElement).value.trim();
    this.busy = true;
    this.dialogError = undefined;
    this.requestUpdate();
    try {
      const body: Schemas['CreateAppProfile'] = { name: value('name'), version: value('version'), description: value('description'), tiers: this.editor.tiers.map(toTier) };
      await expectOk(this.ctx.client.POST('/v1/projects/{p}/appprofiles', { params: { path: { p: this.projectId } }, body }));
      this.close();
      await this.refreshLists();
    } catch (error) {
      this.dialogError = error instanceof SyntaxError ? new Error(`Helm values are not JSON: ${error.message}`) : error;
    } finally {
      this.editor.errors = fieldErrors(this.dialogError);
      this.busy = false;
      this.requestUpdate();
    }
  }

  private columns(): Column<AppProfile>[] {
    const canEdit = this.ctx.perms.canEdit(this.projectId);
    return [
      { header: 'Name', cell: (p) => html`<strong>${p.name}</strong>${p.description ? html`<div class="muted">${p.description}</div>` : nothing}` },
      { header: 'Version', cell: (p) => p.version },
      { header: 'Tiers', cell: (p) => html`<ol class="tier-list">${p.tiers.map((t) => html`<li>${t.name} <span class="muted">(${t.type})</span></li>`)}</ol>` },
      { header: 'Created', cell: (p) => when(p.createdAt) },
      { header: 'Actions', cell: (p) => (canEdit ? html`<sl-button size="small" @click=${() => void this.open(p)}>New version</sl-button>` : nothing) },
    ];
  }

  override render() {
    const canEdit = this.ctx.perms.canEdit(this.projectId);
    const e = this.editing;
    const errors = fieldErrors(this.dialogError);
    const at = (name: string) => ({ cls: errors.has(name) ? 'invalid' : '', help: errors.get(name) });
    return html`${pageHead('App profiles', canEdit ? html`<sl-button variant="primary" @click=${() => void this.open()}>Create app profile</sl-button>` : nothing,
        'An app profile lists the tiers of an app (containers, databases, manifests, Helm charts). Each version is immutable; apps on an older version are offered the newer one.')}
      <error-banner class="page-error" .error=${this.error}></error-banner>
      <paged-table caption="App profiles" empty="No app profiles yet." .load=${this.load} .columns=${this.columns()}></paged-table>
      <sl-dialog class="profile-dialog wide" label=${e?.fromVersion ? `New version of ${e.name} (from ${e.fromVersion})` : 'Create an app profile'}>
        ${e
          ? html`<form class="fields" @submit=${(ev: SubmitEvent) => void this.submit(ev)}>
              <error-banner .error=${this.dialogError}></error-banner>
              <div class="row">
                <sl-input name="name" label="Name" required .value=${e.name} ?readonly=${!!e.fromVersion} class=${at('name').cls} help-text=${at('name').help ?? ''} autocomplete="off"></sl-input>
                <sl-input name="version" label="Version" required .value=${e.version} class=${at('version').cls} help-text=${at('version').help ?? 'semver, e.g. 1.0.0'} autocomplete="off"></sl-input>
              </div>
              <sl-input name="description" label="Description (optional)" .value=${e.description} autocomplete="off"></sl-input>
              <h3>Tiers (deployed in this order)</h3>
              <tiers-editor .registries=${this.registries}></tiers-editor>
              <div class="form-actions">
                <sl-button @click=${() => this.close()}>Cancel</sl-button>
                <sl-button type="submit" variant="primary" ?loading=${this.busy}>Create version</sl-button>
              </div>
            </form>`
          : nothing}
      </sl-dialog>`;
  }
}
customElements.define('page-app-profiles', AppProfilesPage);

/** The next minor version: 1.0.0 → 1.1.0 (a suggestion; any semver the API accepts will do). */
function bump(version: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)(.*)$/.exec(version);
  return m ? `${m[1]}.${Number(m[2]) + 1}.0` : version;
}
