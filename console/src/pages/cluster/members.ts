import { html, nothing } from 'lit';
import { all, expectOk, when, type Schemas } from '../../api.ts';
import { pageHead } from '../../components/bits.ts';
import { confirmAction } from '../../components/form-dialog.ts';
import type { Column } from '../../components/paged-table.ts';
import { PageElement } from '../../page.ts';

type Member = Schemas['ProjectMember'];
type User = Schemas['User'];
type Team = Schemas['Team'];
const ROLES = [
  { value: 'project.viewer', label: 'Viewer (read only)' },
  { value: 'project.editor', label: 'Editor (create, change, delete)' },
  { value: 'project.admin', label: 'Admin (everything, members)' },
];

/** The project's members and their roles; the tenant's users and teams. */
export class MembersPage extends PageElement {
  private users: User[] = [];
  private newKey: Schemas['CreatedApiKey'] | undefined;

  private loadMembers = (cursor?: string) => expectOk(this.ctx.client.GET('/v1/projects/{p}/members', { params: { path: { p: this.projectId }, query: { cursor, limit: 25 } } }));
  private loadUsers = (cursor?: string) => expectOk(this.ctx.client.GET('/v1/users', { params: { query: { cursor, limit: 25 } } }));
  private loadTeams = (cursor?: string) => expectOk(this.ctx.client.GET('/v1/teams', { params: { query: { cursor, limit: 25 } } }));

  protected override async init() {
    if (this.ctx.perms.canAdmin(this.projectId)) {
      this.users = await all((cursor) => expectOk(this.ctx.client.GET('/v1/users', { params: { query: { cursor, limit: 100 } } }))).catch(() => []);
      this.requestUpdate();
    }
  }

  private userOptions = () => this.users.map((u) => ({ value: u.id, label: `${u.name} <${u.email}>` }));

  private addMember() {
    this.form.open({
      label: `Add a member to ${this.ctx.project.name}`,
      submitLabel: 'Add',
      fields: [
        { name: 'userId', label: 'User', type: 'select', required: true, options: this.userOptions() },
        { name: 'role', label: 'Role', type: 'select', required: true, value: 'project.viewer', options: ROLES },
      ],
      submit: async (body) => {
        await expectOk(this.ctx.client.PUT('/v1/projects/{p}/members/{userId}', { params: { path: { p: this.projectId, userId: String(body.userId) } }, body: { role: body.role as Member['role'] } }));
        await this.refreshLists();
      },
    });
  }

  private async removeMember(m: Member) {
    if (!(await confirmAction(`Remove ${m.name} from ${this.ctx.project.name}?`, 'Remove'))) return;
    await this.act(() => expectOk(this.ctx.client.DELETE('/v1/projects/{p}/members/{userId}', { params: { path: { p: this.projectId, userId: m.userId } } })));
  }

  private addUser() {
    this.form.open({
      label: 'Add a user',
      submitLabel: 'Add',
      fields: [
        { name: 'email', label: 'Email', required: true },
        { name: 'name', label: 'Name', required: true },
        { name: 'role', label: 'Tenant role', type: 'select', value: 'tenant.member', options: [{ value: 'tenant.member', label: 'Member' }, { value: 'tenant.admin', label: 'Admin' }] },
      ],
      submit: async (body) => {
        const user = await expectOk(this.ctx.client.POST('/v1/users', { body: body as Schemas['CreateUser'] }));
        this.users = [...this.users, user];
        await this.refreshLists();
      },
    });
  }

  private async issueKey(u: User) {
    const key = await this.act(() => expectOk(this.ctx.client.POST('/v1/users/{id}/apikeys', { params: { path: { id: u.id } }, body: { name: 'console' } })));
    if (!key) return;
    this.newKey = key;
    this.requestUpdate();
    await this.updateComplete;
    await (this.querySelector('sl-dialog.key-created') as HTMLElement & { show(): Promise<void> }).show();
  }

  private addTeam() {
    this.form.open({
      label: 'Create a team',
      fields: [
        { name: 'name', label: 'Name', required: true },
        { name: 'memberIds', label: 'Members', type: 'multiselect', options: this.userOptions() },
      ],
      submit: async (body) => {
        await expectOk(this.ctx.client.POST('/v1/teams', { body: { name: String(body.name), memberIds: (body.memberIds as string[]) ?? [] } }));
        await this.refreshLists();
      },
    });
  }

  private async removeTeam(t: Team) {
    if (!(await confirmAction(`Delete the team ${t.name}?`))) return;
    await this.act(() => expectOk(this.ctx.client.DELETE('/v1/teams/{id}', { params: { path: { id: t.id } } })));
  }

  private memberColumns(): Column<Member>[] {
    const canAdmin = this.ctx.perms.canAdmin(this.projectId);
    return [
      { header: 'Name', cell: (m) => m.name },
      { header: 'Role', cell: (m) => m.role.replace('project.', '') },
      { header: 'Since', cell: (m) => when(m.createdAt) },
      { header: 'Actions', cell: (m) => (canAdmin ? html`<sl-button size="small" variant="danger" outline @click=${() => void this.removeMember(m)}>Remove</sl-button>` : nothing) },
    ];
  }

  private userColumns(): Column<User>[] {
    return [
      { header: 'Name', cell: (u) => u.name },
      { header: 'Email', cell: (u) => u.email },
      { header: 'Tenant role', cell: (u) => u.role.replace('tenant.', '') },
      { header: 'Actions', cell: (u) => html`<sl-button size="small" @click=${() => void this.issueKey(u)}>Issue API key</sl-button>` },
    ];
  }

  private teamColumns(): Column<Team>[] {
    const names = new Map(this.users.map((u) => [u.id, u.name]));
    return [
      { header: 'Team', cell: (t) => t.name },
      { header: 'Members', cell: (t) => t.memberIds.map((id) => names.get(id) ?? id).join(', ') || '—' },
      { header: 'Actions', cell: (t) => (this.ctx.perms.tenantAdmin ? html`<sl-button size="small" variant="danger" outline @click=${() => void this.removeTeam(t)}>Delete</sl-button>` : nothing) },
    ];
  }

  override render() {
    const { tenantAdmin } = this.ctx.perms;
    const canAdmin = this.ctx.perms.canAdmin(this.projectId);
    return html`${pageHead('Members and teams', canAdmin ? html`<sl-button variant="primary" @click=${() => this.addMember()}>Add member</sl-button>` : nothing)}
      <error-banner class="page-error" .error=${this.error}></error-banner>
      <paged-table caption=${`Members of ${this.ctx.project.name}`} empty="No members (tenant admins act as project admins everywhere)." .load=${this.loadMembers} .columns=${this.memberColumns()}></paged-table>
      ${tenantAdmin
        ? html`<div class="page-head"><h2>Users</h2><sl-button @click=${() => this.addUser()}>Add user</sl-button></div>
            <paged-table caption="Users of the tenant" .load=${this.loadUsers} .columns=${this.userColumns()}></paged-table>
            <div class="page-head"><h2>Teams</h2><sl-button @click=${() => this.addTeam()}>Create team</sl-button></div>
            <paged-table caption="Teams" empty="No teams yet." .load=${this.loadTeams} .columns=${this.teamColumns()}></paged-table>`
        : nothing}
      <form-dialog></form-dialog>
      <sl-dialog class="key-created" label="API key issued" @sl-after-hide=${(e: Event) => { if (e.target === e.currentTarget) { this.newKey = undefined; this.requestUpdate(); } }}>
        ${this.newKey
          ? html`<div class="secret stack"><p><strong>Copy the key now: it is shown only once.</strong> It expires ${when(this.newKey.expiresAt)}.</p>
              <sl-input readonly label="API key" .value=${this.newKey.key}></sl-input></div>`
          : nothing}
        <div class="form-actions"><sl-button variant="primary" @click=${(e: Event) => void ((e.target as HTMLElement).closest('sl-dialog') as HTMLElement & { hide(): Promise<void> }).hide()}>Done</sl-button></div>
      </sl-dialog>`;
  }
}
customElements.define('page-members', MembersPage);
