import type { PropertyValues } from 'lit';
import type { Ctx } from './api.ts';
import { LightElement } from './components/base.ts';
import type { FormDialog } from './components/form-dialog.ts';
import type { PagedTable } from './components/paged-table.ts';

/**
 * What every page shares: the shell's context (client, me, project, permissions), a
 * page-level error banner, and running an action: its refusal shown, the lists refreshed.
 */
export class PageElement extends LightElement {
  static override properties = { ctx: { attribute: false }, params: { attribute: false } };
  declare ctx: Ctx;
  declare params: Record<string, string>;
  protected error: unknown;

  constructor() {
    super();
    this.params = {};
  }

  get projectId(): string {
    return this.ctx.project.id;
  }

  protected override firstUpdated(changed: PropertyValues) {
    super.firstUpdated(changed);
    void this.init();
  }

  /** Loads what the page needs besides its lists (which load themselves). */
  protected async init(): Promise<void> {}

  /** Runs an API action: its error shown on the page, every list refreshed after it. */
  protected async act<T>(action: () => Promise<T>): Promise<T | undefined> {
    this.error = undefined;
    this.requestUpdate();
    try {
      const result = await action();
      await this.refreshLists();
      return result;
    } catch (error) {
      this.error = error;
      this.requestUpdate();
      await this.updateComplete;
      this.querySelector('error-banner.page-error')?.scrollIntoView({ block: 'nearest' });
      return undefined;
    }
  }

  protected async refreshLists() {
    await Promise.all([...this.querySelectorAll('paged-table')].map((t) => (t as PagedTable).refresh()));
  }

  protected get form(): FormDialog {
    return this.querySelector('form-dialog') as FormDialog;
  }
}
