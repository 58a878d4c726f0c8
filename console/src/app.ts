import { html, nothing } from 'lit';
import { all, clientFor, expectOk, Permissions, problemOf, session, type Ctx, type Me, type Mode, type PaletteClient, type Project } from './api.ts';
import { LightElement } from './components/base.ts';
import './components/error-banner.ts';
import './components/paged-table.ts';
import './components/operation-progress.ts';
import './components/form-dialog.ts';
import { home, match, routes, type Route } from './routes.ts';

const BASE = import.meta.env.BASE_URL; // '/console/'
const MODE_NAME: Record<Mode, string> = { app: 'App Mode', cluster: 'Cluster Mode' };

/**
 * The shell: sign-in with an API key, then the header (mode, project, the user menu with
 * the mode switch), the mode's navigation and the current page, loaded on demand.
 */
export class PaletteApp extends LightElement {
  private client: PaletteClient | undefined;
  private me: Me | undefined;
  private perms: Permissions | undefined;
  private preferred: Mode = 'cluster';
  private projects: Project[] = [];
  private projectId: string | undefined;
  private current: { route: Route; params: Record<string, string> } | undefined;
  private pageEl: HTMLElement | undefined;
  private signInError: unknown;
  private booting = false;
  private signingIn = false;
  private focusOnRender = false;

  override connectedCallback() {
    super.connectedCallback();
    addEventListener('popstate', () => void this.route());
    const key = session.key();
    if (key) void this.boot(key);
  }

  private async boot(key: string) {
    this.booting = true;
    this.requestUpdate();
    try {
      const client = clientFor(key);
      const me = await expectOk(client.GET('/v1/me'));
      const [preferences, projects] = await Promise.all([
        expectOk(client.GET('/v1/me/preferences')),
        me.tenant ? all((cursor) => expectOk(client.GET('/v1/projects', { params: { query: { limit: 100, cursor } } }))) : Promise.resolve([]),
      ]);
      session.setKey(key);
      this.client = client;
      this.me = me;
      this.perms = new Permissions(me);
      this.preferred = preferences.mode;
      this.projects = projects;
      const remembered = session.project();
      this.projectId = (projects.find((p) => p.id === remembered) ?? projects.find((p) => p.name === 'default') ?? projects[0])?.id;
      this.signInError = undefined;
      await this.route();
    } catch (error) {
      session.clear();
      this.client = undefined;
      this.me = undefined;
      this.signInError = error;
    } finally {
      this.booting = false;
      this.signingIn = false;
      this.requestUpdate();
    }
  }

  private get mode(): Mode {
    return this.current?.route.mode ?? this.preferred;
  }

  /** Goes to a path below the console's base (`cluster/clusters`), adding a history entry. */
  navigate = (path: string, replace = false) => {
    const url = path.startsWith('/') ? path : `${BASE}${path}`;
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    this.focusOnRender = true;
    void this.route();
  };

  private async route(): Promise<void> {
    if (!this.me) return;
    const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '';
    if (!path) {
      history.replaceState(null, '', `${BASE}${home[this.preferred]}`);
      return this.route();
    }
    this.current = match(path);
    this.pageEl = undefined;
    this.requestUpdate();
    if (!this.current) {
      document.title = 'Not found · Palette';
      return;
    }
    const { route, params } = this.current;
    document.title = `${route.title} · Palette`;
    await route.load();
    if (this.current?.route !== route) return;
    this.pageEl = this.makePage(route, params);
    this.requestUpdate();
  }

  private makePage(route: Route, params: Record<string, string>): HTMLElement | undefined {
    const project = this.projects.find((p) => p.id === this.projectId);
    if (!project || !this.client || !this.me || !this.perms) return undefined;
    const el = document.createElement(route.tag) as HTMLElement & { ctx: Ctx; params: Record<string, string> };
    el.ctx = { client: this.client, me: this.me, perms: this.perms, project, projects: this.projects, mode: route.mode, navigate: this.navigate };
    el.params = params;
    return el;
  }

  private async signIn(event: SubmitEvent) {
    event.preventDefault();
    const input = (event.target as HTMLFormElement).querySelector('sl-input') as unknown as HTMLInputElement;
    const key = input.value.trim();
    if (!key) return;
    this.signingIn = true;
    this.requestUpdate();
    await this.boot(key);
    if (!this.me) this.querySelector<HTMLElement>('sl-input')?.focus();
  }

  private signOut() {
    session.clear();
    this.client = this.me = this.perms = undefined;
    this.current = undefined;
    this.pageEl = undefined;
    history.pushState(null, '', BASE);
    document.title = 'Sign in · Palette';
    this.requestUpdate();
  }

  private async switchMode() {
    if (!this.client) return;
    const next: Mode = this.mode === 'app' ? 'cluster' : 'app';
    try {
      const saved = await expectOk(this.client.PUT('/v1/me/preferences', { body: { mode: next } }));
      this.preferred = saved.mode;
      this.navigate(home[saved.mode]);
    } catch (error) {
      this.signInError = error;
      this.requestUpdate();
    }
  }

  private onMenu(event: CustomEvent<{ item: { value: string } }>) {
    if (event.detail.item.value === 'mode') void this.switchMode();
    if (event.detail.item.value === 'sign-out') this.signOut();
  }

  private pickProject(event: Event) {
    const id = (event.target as HTMLSelectElement).value;
    if (!id || id === this.projectId) return;
    this.projectId = id;
    session.setProject(id);
    if (this.current) this.pageEl = this.makePage(this.current.route, this.current.params);
    this.requestUpdate();
  }

  /** Links inside the console move within it (no reload); others behave as links do. */
  private onClick(event: MouseEvent) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const a = event.composedPath().find((n): n is HTMLAnchorElement => n instanceof HTMLAnchorElement);
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith(BASE)) return;
    event.preventDefault();
    this.navigate(url.pathname + url.search);
  }

  override updated() {
    if (this.focusOnRender && this.pageEl) {
      this.focusOnRender = false;
      void (this.pageEl as HTMLElement & { updateComplete?: Promise<unknown> }).updateComplete?.then(() => this.pageEl?.querySelector<HTMLElement>('h1')?.focus());
    }
  }

  override render() {
    if (!this.me) return this.renderSignIn();
    const mode = this.mode;
    const other: Mode = mode === 'app' ? 'cluster' : 'app';
    const nav = routes.filter((r) => r.nav && r.mode === mode && (!r.visible || r.visible(this.perms!)));
    const active = this.current?.route.path.split('/').slice(0, 2).join('/');
    return html`<div class="shell" @click=${(e: MouseEvent) => this.onClick(e)}>
      <a class="skip-link" href="#main" @click=${(e: Event) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header class="top">
        <a class="brand" href=${`${BASE}${home[mode]}`}>Palette</a>
        <span class="mode" data-mode=${mode}>${MODE_NAME[mode]}</span>
        <span class="spacer"></span>
        ${this.projects.length
          ? html`<sl-select class="project-picker" label="Project" size="small" .value=${this.projectId ?? ''} @sl-change=${(e: Event) => this.pickProject(e)}>
              ${this.projects.map((p) => html`<sl-option value=${p.id}>${p.name}</sl-option>`)}
            </sl-select>`
          : nothing}
        <sl-dropdown class="user-menu" placement="bottom-end">
          <sl-button slot="trigger" caret size="small">${this.me.user.name || this.me.user.email}</sl-button>
          <sl-menu @sl-select=${(e: CustomEvent<{ item: { value: string } }>) => this.onMenu(e)}>
            <sl-menu-item value="mode">Switch to ${MODE_NAME[other]}</sl-menu-item>
            <sl-divider></sl-divider>
            <sl-menu-item value="sign-out">Sign out</sl-menu-item>
          </sl-menu>
        </sl-dropdown>
      </header>
      <div class="body">
        <nav class="side" aria-label=${MODE_NAME[mode]}>
          <ul>
            ${nav.map((r) => html`<li><a href=${`${BASE}${r.path}`} aria-current=${r.path === active ? 'page' : nothing}>${r.title}</a></li>`)}
          </ul>
        </nav>
        <main id="main" tabindex="-1">
          <error-banner .error=${this.signInError}></error-banner>
          ${this.renderPage()}
        </main>
      </div>
    </div>`;
  }

  private renderPage() {
    if (!this.current) return html`<h1 tabindex="-1">Page not found</h1><p><a href=${`${BASE}${home[this.preferred]}`}>Go to ${MODE_NAME[this.preferred]}</a></p>`;
    if (!this.projects.length) return html`<h1 tabindex="-1">${this.current.route.title}</h1><p>You are not a member of any project yet: ask a tenant admin to add you to one.</p>`;
    return this.pageEl ?? html`<p role="status"><sl-spinner></sl-spinner> Loading…</p>`;
  }

  private renderSignIn() {
    const problem = this.signInError ? problemOf(this.signInError) : undefined;
    return html`<main class="sign-in" id="main">
      <h1>Sign in to Palette</h1>
      <p class="lead">Use an API key (<code>plt_…</code>). It is kept in this tab only and forgotten when the tab closes.</p>
      ${problem ? html`<sl-alert variant="danger" open><strong>Could not sign in.</strong> ${problem.detail}</sl-alert>` : nothing}
      <form @submit=${(e: SubmitEvent) => void this.signIn(e)}>
        <sl-input name="apiKey" type="password" label="API key" required password-toggle autocomplete="off" ?disabled=${this.booting && !this.signingIn}></sl-input>
        <sl-button type="submit" variant="primary" ?loading=${this.booting}>Sign in</sl-button>
      </form>
    </main>`;
  }
}
customElements.define('palette-app', PaletteApp);
