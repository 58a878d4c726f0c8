import { LitElement } from 'lit';

/**
 * The console's elements render into the light DOM, so the one stylesheet (styles.css)
 * styles them and the tests and axe see plain markup; Shoelace's components keep their
 * own shadow DOM.
 */
export class LightElement extends LitElement {
  protected override createRenderRoot(): HTMLElement {
    return this;
  }
}

/** A phase as a pill whose tint says whether it is settled, busy, paused or failed. */
export function phaseTone(phase: string): 'ok' | 'busy' | 'paused' | 'bad' | '' {
  if (['Running', 'Ready', 'Deployed', 'Succeeded'].includes(phase)) return 'ok';
  if (['Paused'].includes(phase)) return 'paused';
  if (['Error', 'Failed', 'Degraded', 'Unreachable'].includes(phase)) return 'bad';
  if (['Pending', 'Provisioning', 'Pausing', 'Resuming', 'Deleting', 'Updating', 'Deploying', 'Applying', 'Removing'].includes(phase)) return 'busy';
  return '';
}

/** Phases that end by themselves: a list showing one refreshes until none is left. */
export const transitional = (phase: string) => phaseTone(phase) === 'busy';
