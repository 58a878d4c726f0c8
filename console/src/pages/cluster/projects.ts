import { html, nothing } from 'lit';
import { expectOk, when, type Project } from '../../api.ts';
import { pageHead } from '../../components/bits.ts';
import { confirmAction } from '../../components/form-dialog.ts';
import type { Column } from '../../components/paged-table.ts';
import { PageElement } from '../../page.ts';

/** The projects I can see, and my role in each. */
export class ProjectsPage extends PageElement {
  private load = (cursor?: string) => expectOk(this.ctx.client.GET('/v1/projects', { params: { query: { cursor, limit: 25 } } }));

  private create() {
    this.form.open({
      label: 'Create a project',
      fields: [
        { name: 'name', label: 'Name', required: true },
        { name: 'description', label: 'Description (optional)', type: 'textarea' },
      ],
      submit: async (body) => {
        await expectOk(this.ctx.client.POST('/v1/projects', { body: { name: String(body.name), description: String(body.description ?? '') } }));
        await this.refreshLists();
      },
    });
  }

  private async destroy(p: Project) {
    if (!(await confirmAction(`Delete the project ${p.name}? It must hold nothing any more.`))) return;
    await this.act(() => expectOk(this.ctx.client.DELETE('/v1/projects/{p}', { params: { path: { p: p.id } } })));
  }

  private columns(): Column<Project>[] {
    const admin = this.ctx.perms.tenantAdmin;
    return [
      { header: 'Name', cell: (p) => html`<strong>${p.name}</strong>` },
      { header: 'Description', cell: (p) => p.description || '—' },
      { header: 'My role', cell: (p) => this.ctx.perms.roleIn(p.id)?.replace('project.', '') ?? '—' },
      { header: 'Created', cell: (p) => when(p.createdAt) },
      { header: 'Actions', cell: (p) => (admin && p.name !== 'default' ? html`<sl-button size="small" variant="danger" outline @click=${() => void this.destroy(p)}>Delete</sl-button>` : nothing) },
    ];
  }

  override render() {
    return html`${pageHead('Projects', this.ctx.perms.tenantAdmin ? html`<sl-button variant="primary" @click=${() => this.create()}>Create project</sl-button>` : nothing,
        'Projects scope clusters, virtual clusters, apps and their members. Pick the one to work in at the top. A new project shows in the picker after the next sign-in or reload.')}
      <error-banner class="page-error" .error=${this.error}></error-banner>
      <paged-table caption="Projects" .load=${this.load} .columns=${this.columns()}></paged-table>
      <form-dialog></form-dialog>`;
  }
}
customElements.define('page-projects', ProjectsPage);
