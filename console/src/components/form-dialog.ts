import { html, nothing, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';
import { fieldErrors, setPath } from '../api.ts';
import { LightElement } from './base.ts';

export interface Field {
  /** The field's path in the request body (`sim.provisionSeconds`): the API's `errors[].path` without `body.`. */
  name: string;
  label: string;
  type?: 'text' | 'number' | 'password' | 'textarea' | 'select' | 'multiselect' | 'checkbox' | 'datetime-local';
  options?: Array<{ value: string; label: string; disabled?: boolean }>;
  required?: boolean;
  value?: unknown;
  help?: string;
  min?: number;
  max?: number;
  /** Shown (and sent) only while this holds for the values so far. */
  showIf?: (values: Record<string, unknown>) => boolean;
}

type Submit = (body: Record<string, unknown>, values: Record<string, unknown>) => Promise<unknown>;

/**
 * A create form in a dialog, from a list of fields: the body is built from the field names
 * (dotted paths), and a refusal shows its detail on top and each error at its field.
 */
export class FormDialog extends LightElement {
  static override properties = { label: {}, submitLabel: { attribute: 'submit-label' } };
  declare label: string;
  declare submitLabel: string;

  private fields: Field[] = [];
  private values: Record<string, unknown> = {};
  private submit: Submit | undefined;
  private error: unknown;
  private busy = false;

  constructor() {
    super();
    this.label = '';
    this.submitLabel = 'Create';
  }

  /** Opens the dialog with these fields; resolves with what `submit` returned, or undefined if cancelled. */
  open(options: { label: string; submitLabel?: string; fields: Field[]; submit: Submit }): void {
    this.label = options.label;
    this.submitLabel = options.submitLabel ?? 'Create';
    this.fields = options.fields;
    this.submit = options.submit;
    this.values = Object.fromEntries(options.fields.map((f) => [f.name, f.value ?? (f.type === 'checkbox' ? false : f.type === 'multiselect' ? [] : '')]));
    this.error = undefined;
    this.requestUpdate();
    void this.updateComplete.then(() => {
      const dialog = this.querySelector('sl-dialog') as (HTMLElement & { show(): Promise<void> }) | null;
      void dialog?.show();
    });
  }

  close() {
    const dialog = this.querySelector('sl-dialog') as (HTMLElement & { hide(): Promise<void> }) | null;
    void dialog?.hide();
  }

  private visible(field: Field) {
    return !field.showIf || field.showIf(this.values);
  }

  private onInput(field: Field, event: Event) {
    const el = event.target as HTMLInputElement & { checked?: boolean; value: string | string[] };
    this.values = { ...this.values, [field.name]: field.type === 'checkbox' ? el.checked : el.value };
    this.requestUpdate();
  }

  private body(): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    for (const field of this.fields) {
      if (!this.visible(field)) continue;
      const value = this.values[field.name];
      if (value === '' || value === undefined || (Array.isArray(value) && value.length === 0 && !field.required)) continue;
      if (field.type === 'number') setPath(body, field.name, Number(value));
      else if (field.type === 'datetime-local') setPath(body, field.name, new Date(String(value)).toISOString());
      else setPath(body, field.name, value);
    }
    return body;
  }

  private async onSubmit(event: SubmitEvent) {
    event.preventDefault();
    if (!this.submit || this.busy) return;
    this.busy = true;
    this.error = undefined;
    this.requestUpdate();
    try {
      await this.submit(this.body(), this.values);
      this.close();
    } catch (error) {
      this.error = error;
    } finally {
      this.busy = false;
      this.requestUpdate();
    }
  }

  private renderField(field: Field, errors: Map<string, string>): TemplateResult | typeof nothing {
    if (!this.visible(field)) return nothing;
    const error = errors.get(field.name) ?? [...errors].find(([path]) => path.startsWith(`${field.name}.`))?.[1];
    const help = error ?? field.help ?? '';
    const value = this.values[field.name];
    const cls = error ? 'invalid' : '';
    const onInput = (e: Event) => this.onInput(field, e);
    switch (field.type) {
      case 'select':
      case 'multiselect':
        return html`<sl-select name=${field.name} label=${field.label} class=${cls} help-text=${help} ?required=${field.required}
          ?multiple=${field.type === 'multiselect'} .value=${live(value as string)} @sl-change=${onInput} hoist>
          ${(field.options ?? []).map((o) => html`<sl-option value=${o.value} ?disabled=${o.disabled}>${o.label}</sl-option>`)}
        </sl-select>`;
      case 'checkbox':
        return html`<sl-checkbox name=${field.name} class=${cls} help-text=${help} .checked=${live(Boolean(value))} @sl-change=${onInput}>${field.label}</sl-checkbox>`;
      case 'textarea':
        return html`<sl-textarea name=${field.name} label=${field.label} class=${cls} help-text=${help} ?required=${field.required} .value=${live(String(value ?? ''))} @sl-input=${onInput} rows="4"></sl-textarea>`;
      default:
        return html`<sl-input name=${field.name} label=${field.label} class=${cls} help-text=${help} type=${field.type ?? 'text'} ?required=${field.required}
          min=${field.min ?? nothing} max=${field.max ?? nothing} ?password-toggle=${field.type === 'password'}
          .value=${live(String(value ?? ''))} @sl-input=${onInput} autocomplete="off"></sl-input>`;
    }
  }

  override render() {
    const errors = fieldErrors(this.error);
    return html`<sl-dialog label=${this.label}>
      <form class="fields" @submit=${(e: SubmitEvent) => void this.onSubmit(e)}>
        <error-banner .error=${this.error}></error-banner>
        ${this.fields.map((f) => this.renderField(f, errors))}
        <div class="form-actions">
          <sl-button @click=${() => this.close()}>Cancel</sl-button>
          <sl-button type="submit" variant="primary" ?loading=${this.busy}>${this.submitLabel}</sl-button>
        </div>
      </form>
    </sl-dialog>`;
  }
}
customElements.define('form-dialog', FormDialog);

/** One question in a dialog (a delete, a forced delete): resolves true when confirmed. */
export function confirmAction(message: string, confirmLabel = 'Delete', variant: 'danger' | 'primary' = 'danger'): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = document.createElement('sl-dialog') as HTMLElement & { show(): Promise<void>; hide(): Promise<void>; label: string };
    dialog.label = 'Please confirm';
    const text = document.createElement('p');
    text.textContent = message;
    const actions = document.createElement('div');
    actions.className = 'form-actions';
    const cancel = document.createElement('sl-button');
    cancel.textContent = 'Cancel';
    const ok = document.createElement('sl-button');
    ok.setAttribute('variant', variant);
    ok.textContent = confirmLabel;
    actions.append(cancel, ok);
    dialog.append(text, actions);
    let answer = false;
    cancel.addEventListener('click', () => void dialog.hide());
    ok.addEventListener('click', () => {
      answer = true;
      void dialog.hide();
    });
    dialog.addEventListener('sl-after-hide', (e) => {
      if (e.target !== dialog) return;
      dialog.remove();
      resolve(answer);
    });
    document.body.append(dialog);
    void customElements.whenDefined('sl-dialog').then(() => dialog.show());
  });
}
