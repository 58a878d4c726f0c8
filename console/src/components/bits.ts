import { html, nothing } from 'lit';
import { pct } from '../api.ts';
import { phaseTone } from './base.ts';

/** A phase as a tinted pill (its text is the phase: colour is never the only cue). */
export const phase = (value: string, label?: string) => html`<span class=${`phase ${phaseTone(value)}`} data-phase=${value}>${label ? `${label}: ` : ''}${value}</span>`;

/** A labelled meter: "used of limit" and a bar (quota, capacity). */
export function meter(key: string, label: string, used: number, limit: number, format: (n: number) => string = String) {
  const value = pct(used, limit);
  return html`<div class=${`meter ${value >= 90 ? 'high' : ''}`} data-meter=${key}>
    <div class="meter-head"><span>${label}</span><span class="meter-value">${format(used)} of ${format(limit)}</span></div>
    <meter min="0" max=${Math.max(limit, 0)} value=${Math.min(used, Math.max(limit, 0))} high=${limit * 0.9} optimum="0" aria-label=${`${label}: ${format(used)} of ${format(limit)} used`}></meter>
  </div>`;
}

/** The page's title (focused after each navigation, for screen readers) and its buttons. */
export const pageHead = (title: string, actions: unknown = nothing, lead?: string) =>
  html`<div class="page-head"><h1 tabindex="-1">${title}</h1><div class="toolbar">${actions}</div></div>
    ${lead ? html`<p class="lead">${lead}</p>` : nothing}`;
