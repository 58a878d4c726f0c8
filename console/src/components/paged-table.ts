import { html, nothing, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { Page } from '../api.ts';
import { LightElement } from './base.ts';

export interface Column<T> {
  header: string;
  cell: (item: T) => unknown;
}

export type Loader<T> = (cursor: string | undefined) => Promise<Page<T>>;

/**
 * Every list of the console: a semantic table, a page at a time with the API's cursor
 * ("Load more"), its error in a banner, and, while `poll` says some item is still changing,
 * refreshed with backoff (every page loaded so far, through the same cursors).
 */
export class PagedTable<T extends object = { id: string }> extends LightElement {
  static override properties = {
    load: { attribute: false },
    columns: { attribute: false },
    caption: {},
    empty: {},
    poll: { attribute: false },
    rowKey: { attribute: false },
  };
  declare load: Loader<T>;
  declare columns: Column<T>[];
  declare caption: string;
  declare empty: string;
  declare poll: ((items: T[]) => boolean) | undefined;
  declare rowKey: (item: T) => string;

  items: T[] = [];
  private pages = 0;
  private next: string | null = null;
  private loading = false;
  private error: unknown;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private backoff = 800;
  private generation = 0;

  constructor() {
    super();
    this.caption = '';
    this.empty = 'Nothing here yet.';
    this.rowKey = (item) => String((item as { id?: string }).id);
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.reload();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    clearTimeout(this.timer);
    this.generation++;
  }

  /** From the first page again. */
  async reload() {
    this.dataset.state = 'loading';
    this.pages = 0;
    this.items = [];
    this.next = null;
    await this.fetchPages(1);
  }

  /** The pages loaded so far, again (after an action, or while something changes). */
  async refresh() {
    await this.fetchPages(Math.max(1, this.pages));
  }

  private async fetchPages(count: number) {
    if (!this.load) return;
    const generation = ++this.generation;
    clearTimeout(this.timer);
    this.loading = true;
    this.requestUpdate();
    try {
      const items: T[] = [];
      let cursor: string | undefined;
      let next: string | null = null;
      let pages = 0;
      do {
        const page = await this.load(cursor);
        items.push(...page.items);
        next = page.nextCursor;
        cursor = next ?? undefined;
        pages++;
      } while (pages < count && cursor);
      if (generation !== this.generation) return;
      this.items = items;
      this.next = next;
      this.pages = pages;
      this.error = undefined;
    } catch (error) {
      if (generation !== this.generation) return;
      this.error = error;
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.dataset.state = this.error ? 'error' : 'ready';
        this.requestUpdate();
        this.schedule();
        this.dispatchEvent(new CustomEvent('loaded', { detail: this.items }));
      }
    }
  }

  private async loadMore() {
    if (!this.next) return;
    const generation = ++this.generation;
    this.loading = true;
    this.requestUpdate();
    try {
      const page = await this.load(this.next);
      if (generation !== this.generation) return;
      this.items = [...this.items, ...page.items];
      this.next = page.nextCursor;
      this.pages++;
    } catch (error) {
      this.error = error;
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.requestUpdate();
        this.schedule();
      }
    }
  }

  private schedule() {
    clearTimeout(this.timer);
    if (!this.isConnected || !this.poll?.(this.items)) {
      this.backoff = 800;
      return;
    }
    this.timer = setTimeout(() => void this.refresh(), this.backoff);
    this.backoff = Math.min(5000, Math.round(this.backoff * 1.5));
  }

  override render(): TemplateResult {
    return html`<error-banner .error=${this.error}></error-banner>
      <div class="table-wrap" role="region" aria-label=${this.caption} tabindex="0">
        <table>
          <caption>${this.caption}</caption>
          <thead>
            <tr>${this.columns.map((c) => html`<th scope="col">${c.header}</th>`)}</tr>
          </thead>
          <tbody>
            ${repeat(
              this.items,
              (item) => this.rowKey(item),
              (item) => html`<tr data-key=${this.rowKey(item)}>${this.columns.map((c) => html`<td data-label=${c.header}>${c.cell(item)}</td>`)}</tr>`,
            )}
          </tbody>
        </table>
        ${this.items.length === 0 ? html`<p class="empty">${this.loading ? 'Loading…' : this.empty}</p>` : nothing}
      </div>
      ${this.next
        ? html`<sl-button class="more" @click=${() => void this.loadMore()} ?loading=${this.loading}>Load more</sl-button>`
        : nothing}`;
  }
}
customElements.define('paged-table', PagedTable);
