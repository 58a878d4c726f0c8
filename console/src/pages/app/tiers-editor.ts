import { html, nothing } from 'lit';
import { live } from 'lit/directives/live.js';
import type { Schemas } from '../../api.ts';
import { LightElement } from '../../components/base.ts';

type Tier = Schemas['AppTier'];
type TierType = Tier['type'];

/** One tier as the form holds it: text as typed, turned into the API's tier on submit. */
export interface TierDraft {
  name: string;
  type: TierType;
  image: string;
  port: string;
  replicas: string;
  /** `KEY=value` lines. */
  env: string;
  engine: string;
  version: string;
  storageGiB: string;
  /** One manifest's YAML (several documents allowed). */
  manifests: string;
  registryId: string;
  chart: string;
  /** Helm values as JSON. */
  values: string;
}

export const emptyTier = (type: TierType = 'container', name = ''): TierDraft => ({
  name, type, image: '', port: '', replicas: '', env: '', engine: 'postgres', version: '', storageGiB: '1', manifests: '', registryId: '', chart: '', values: '',
});

export function fromTier(t: Tier): TierDraft {
  const d = emptyTier(t.type, t.name);
  if (t.type === 'container') Object.assign(d, { image: t.image, port: t.port?.toString() ?? '', replicas: t.replicas?.toString() ?? '', env: Object.entries(t.env ?? {}).map(([k, v]) => `${k}=${v}`).join('\n') });
  if (t.type === 'database') Object.assign(d, { engine: t.engine, version: t.version, storageGiB: String(t.storageGiB) });
  if (t.type === 'manifest') Object.assign(d, { manifests: t.manifests.map((m) => m.content).join('\n---\n') });
  if (t.type === 'helm') Object.assign(d, { registryId: t.registryId, chart: t.chart, version: t.version, values: t.values ? JSON.stringify(t.values, null, 2) : '' });
  return d;
}

const num = (s: string) => (s.trim() === '' ? undefined : Number(s));

/** The API's tier from a draft (what is left empty is left out, for the API's defaults). */
export function toTier(d: TierDraft): Tier {
  switch (d.type) {
    case 'container': {
      const env = Object.fromEntries(
        d.env.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
          const at = l.indexOf('=');
          return at < 0 ? [l, ''] : [l.slice(0, at).trim(), l.slice(at + 1)];
        }),
      );
      return { name: d.name, type: 'container', image: d.image, ...(num(d.port) !== undefined ? { port: num(d.port) } : {}), replicas: num(d.replicas) ?? 1, ...(Object.keys(env).length ? { env } : {}) };
    }
    case 'database':
      return { name: d.name, type: 'database', engine: d.engine as 'postgres', version: d.version, storageGiB: num(d.storageGiB) ?? 1 };
    case 'manifest':
      return { name: d.name, type: 'manifest', manifests: [{ name: d.name || 'manifest', content: d.manifests }] };
    case 'helm': {
      let values: Record<string, unknown> | undefined;
      if (d.values.trim()) values = JSON.parse(d.values) as Record<string, unknown>;
      return { name: d.name, type: 'helm', registryId: d.registryId, chart: d.chart, version: d.version, ...(values ? { values } : {}) };
    }
  }
}

/**
 * The tiers of an app profile: add, remove, reorder, each tier's fields by its type, and
 * each message the API gave at `body.tiers.<i>.<field>` shown under that field.
 */
export class TiersEditor extends LightElement {
  static override properties = { tiers: { attribute: false }, errors: { attribute: false }, registries: { attribute: false } };
  declare tiers: TierDraft[];
  /** The API's errors below `body.` (`tiers.0.image` → message). */
  declare errors: Map<string, string>;
  declare registries: Array<{ id: string; name: string }>;

  constructor() {
    super();
    this.tiers = [emptyTier('database', 'db'), emptyTier('container', 'web')];
    this.errors = new Map();
    this.registries = [];
  }

  private set(i: number, field: keyof TierDraft, value: string) {
    this.tiers = this.tiers.map((t, at) => (at === i ? { ...t, [field]: value } : t));
  }

  private move(i: number, by: number) {
    const tiers = [...this.tiers];
    const [tier] = tiers.splice(i, 1);
    tiers.splice(i + by, 0, tier!);
    this.tiers = tiers;
  }

  /** The message for a tier's field: the exact path, or anything below it (`env.DB_HOST`). */
  private errorAt(i: number, field: string) {
    const base = `tiers.${i}.${field}`;
    const hits = [...this.errors].filter(([path]) => path === base || path.startsWith(`${base}.`));
    return hits.length ? hits.map(([path, message]) => (path === base ? message : `${path.slice(base.length + 1)}: ${message}`)).join('; ') : undefined;
  }

  private input(i: number, field: keyof TierDraft, label: string, options: { type?: string; help?: string; required?: boolean } = {}) {
    const error = this.errorAt(i, field);
    return html`<sl-input label=${label} data-tier=${i} data-field=${field} type=${options.type ?? 'text'} class=${error ? 'invalid' : ''}
      help-text=${error ?? options.help ?? ''} ?required=${options.required} .value=${live(this.tiers[i]![field])} autocomplete="off"
      @sl-input=${(e: Event) => this.set(i, field, (e.target as HTMLInputElement).value)}></sl-input>`;
  }

  private textarea(i: number, field: keyof TierDraft, label: string, help: string) {
    const error = this.errorAt(i, field);
    return html`<sl-textarea label=${label} data-tier=${i} data-field=${field} rows="4" class=${error ? 'invalid' : ''} help-text=${error ?? help}
      .value=${live(this.tiers[i]![field])} @sl-input=${(e: Event) => this.set(i, field, (e.target as HTMLTextAreaElement).value)}></sl-textarea>`;
  }

  private fieldsOf(i: number, t: TierDraft) {
    switch (t.type) {
      case 'container':
        return html`${this.input(i, 'image', 'Image', { required: true, help: 'e.g. nginx:1.27' })}
          <div class="row">${this.input(i, 'port', 'Port (optional)', { type: 'number' })} ${this.input(i, 'replicas', 'Replicas', { type: 'number', help: '1 to 10' })}</div>
          ${this.textarea(i, 'env', 'Environment', 'One KEY=value per line; an earlier tier\'s outputs as {{tiers.<tier>.<OUTPUT>}}')}`;
      case 'database':
        return html`<div class="row">
          <sl-select label="Engine" data-tier=${i} data-field="engine" .value=${live(t.engine)} hoist @sl-change=${(e: Event) => this.set(i, 'engine', (e.target as HTMLSelectElement).value)}>
            ${['postgres', 'mysql', 'redis', 'mongodb'].map((e) => html`<sl-option value=${e}>${e}</sl-option>`)}
          </sl-select>
          ${this.input(i, 'version', 'Engine version', { required: true, help: 'the image tag, e.g. 16' })} ${this.input(i, 'storageGiB', 'Storage (GiB)', { type: 'number' })}
        </div>
        <p class="muted">Outputs HOST, PORT, USERNAME and PASSWORD (generated, kept in a Secret).</p>`;
      case 'manifest':
        return this.textarea(i, 'manifests', 'Manifests (YAML)', 'Kubernetes objects, several documents allowed');
      case 'helm':
        return html`<sl-select label="Registry" data-tier=${i} data-field="registryId" .value=${live(t.registryId)} hoist class=${this.errorAt(i, 'registryId') ? 'invalid' : ''}
            help-text=${this.errorAt(i, 'registryId') ?? ''} @sl-change=${(e: Event) => this.set(i, 'registryId', (e.target as HTMLSelectElement).value)}>
            ${this.registries.map((r) => html`<sl-option value=${r.id}>${r.name}</sl-option>`)}
          </sl-select>
          <div class="row">${this.input(i, 'chart', 'Chart', { required: true })} ${this.input(i, 'version', 'Chart version', { required: true })}</div>
          ${this.textarea(i, 'values', 'Values (JSON, optional)', 'The release\'s values')}`;
    }
  }

  override render() {
    const listError = this.errors.get('tiers');
    return html`<div class="tiers-editor">
      ${listError ? html`<p class="field-error">${listError}</p>` : nothing}
      ${this.tiers.map((t, i) => {
        const tierError = this.errors.get(`tiers.${i}`);
        return html`<fieldset class="tier" data-tier=${i}>
          <legend>Tier ${i + 1}${t.name ? `: ${t.name}` : ''}</legend>
          ${tierError ? html`<p class="field-error">${tierError}</p>` : nothing}
          <div class="row">
            ${this.input(i, 'name', 'Tier name', { required: true, help: 'a DNS label' })}
            <sl-select label="Type" data-tier=${i} data-field="type" .value=${live(t.type)} hoist class=${this.errorAt(i, 'type') ? 'invalid' : ''}
              help-text=${this.errorAt(i, 'type') ?? ''} @sl-change=${(e: Event) => this.set(i, 'type', (e.target as HTMLSelectElement).value)}>
              <sl-option value="container">Container</sl-option><sl-option value="database">Database</sl-option>
              <sl-option value="manifest">Manifest</sl-option><sl-option value="helm">Helm chart</sl-option>
            </sl-select>
          </div>
          ${this.fieldsOf(i, t)}
          <div class="actions">
            <sl-button size="small" ?disabled=${i === 0} @click=${() => this.move(i, -1)}>Move up</sl-button>
            <sl-button size="small" ?disabled=${i === this.tiers.length - 1} @click=${() => this.move(i, 1)}>Move down</sl-button>
            <sl-button size="small" variant="danger" outline ?disabled=${this.tiers.length === 1} @click=${() => (this.tiers = this.tiers.filter((_, at) => at !== i))}>Remove tier</sl-button>
          </div>
        </fieldset>`;
      })}
      <sl-button class="add-tier" @click=${() => (this.tiers = [...this.tiers, emptyTier()])}>Add tier</sl-button>
    </div>`;
  }
}
customElements.define('tiers-editor', TiersEditor);
