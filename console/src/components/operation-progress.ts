import { html, nothing } from 'lit';
import { waitForOperation, type Operation } from '../../../client/operations.ts';
import { problemOf, type PaletteClient } from '../api.ts';
import { LightElement } from './base.ts';

const MARK: Record<Operation['steps'][number]['status'], string> = { Pending: '○', Running: '●', Succeeded: '✓', Failed: '✕', Skipped: '–' };

const kindLabel = (kind: string) => kind.replace(/[._]/g, ' ');

/**
 * A long-running action as it goes: its operation polled with backoff (waitForOperation),
 * a progress bar of `progress.done / total`, and (unless compact) every step with its
 * status. Fires `operation-done` (bubbling) with the final operation.
 */
export class OperationProgress extends LightElement {
  static override properties = {
    operationId: { attribute: 'operation-id' },
    client: { attribute: false },
    compact: { type: Boolean },
  };
  declare operationId: string | undefined;
  declare client: PaletteClient;
  declare compact: boolean;

  private op: Operation | undefined;
  private error: unknown;
  private abort: AbortController | undefined;
  private watching: string | undefined;

  constructor() {
    super();
    this.compact = false;
  }

  override updated() {
    if (this.isConnected && this.operationId !== this.watching) void this.watch();
  }

  override connectedCallback() {
    super.connectedCallback();
    if (this.operationId && !this.abort) {
      this.watching = undefined;
      this.requestUpdate();
    }
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.abort?.abort();
    this.abort = undefined;
  }

  private async watch() {
    this.abort?.abort();
    this.watching = this.operationId;
    this.op = undefined;
    this.error = undefined;
    if (!this.operationId || !this.client) return;
    const abort = new AbortController();
    this.abort = abort;
    try {
      const final = await waitForOperation(this.client, this.operationId, {
        intervalMs: 400,
        maxIntervalMs: 3000,
        signal: abort.signal,
        onUpdate: (op) => {
          this.op = op;
          this.requestUpdate();
        },
      });
      this.dispatchEvent(new CustomEvent('operation-done', { detail: final, bubbles: true, composed: true }));
    } catch (error) {
      if (!abort.signal.aborted) {
        this.error = error;
        this.requestUpdate();
      }
    } finally {
      if (this.abort === abort) this.abort = undefined;
    }
  }

  override render() {
    if (this.error) return html`<p class="op-status" role="status">${problemOf(this.error).detail}</p>`;
    const op = this.op;
    const total = op?.progress.total ?? 0;
    const done = op?.progress.done ?? 0;
    const percent = total ? Math.round((done / total) * 100) : 0;
    const current = op?.steps.find((s) => s.status === 'Running' || s.status === 'Failed');
    const summary = !op
      ? 'Starting…'
      : op.status === 'Running'
        ? `${done} of ${total} steps done${current ? `: ${current.name}` : ''}`
        : op.status === 'Succeeded'
          ? `Done: ${total} of ${total} steps`
          : `Failed${op.error ? `: ${op.error.message}` : ''}`;
    const name = op ? kindLabel(op.kind) : 'operation';
    return html`<div class="op" data-status=${op?.status ?? 'Starting'}>
      ${op ? html`<progress max="100" .value=${percent} aria-label=${`${name} progress`}></progress>` : html`<progress aria-label=${`${name} progress`}></progress>`}
      <p class="op-status" role="status">${summary}</p>
      ${this.compact || !op
        ? nothing
        : html`<ol class="steps" aria-label=${`Steps of ${name}`}>
            ${op.steps.map(
              (s) => html`<li class=${`step step-${s.status}`} data-status=${s.status}>
                <span class="step-mark" aria-hidden="true">${MARK[s.status]}</span>
                <span class="step-name">${s.name}</span>
                <span class="step-status">${s.status}</span>
                ${s.message ? html`<span class="step-message">${s.message}</span>` : nothing}
              </li>`,
            )}
          </ol>`}
    </div>`;
  }
}
customElements.define('operation-progress', OperationProgress);
