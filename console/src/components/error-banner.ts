import { html, nothing } from 'lit';
import { problemOf } from '../api.ts';
import { LightElement } from './base.ts';

/** An API refusal as the problem+json says it: its title, `detail` and each `errors[]` path. */
export class ErrorBanner extends LightElement {
  static override properties = { error: { attribute: false } };
  declare error: unknown;

  override render() {
    if (this.error === undefined || this.error === null) return nothing;
    const p = problemOf(this.error);
    return html`<sl-alert variant="danger" open class="error-banner">
      <strong>${p.title}.</strong> <span class="detail">${p.detail}</span>
      ${p.errors.length
        ? html`<ul>
            ${p.errors.map((e) => html`<li><code>${e.path}</code>: ${e.message}</li>`)}
          </ul>`
        : nothing}
    </sl-alert>`;
  }
}
customElements.define('error-banner', ErrorBanner);
