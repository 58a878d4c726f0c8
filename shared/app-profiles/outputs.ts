/**
 * Tier outputs and the references to them. A tier publishes outputs (a database its
 * HOST, PORT, USERNAME and PASSWORD; a container with a port its HOST and PORT) and a
 * later container tier uses them in its env values as `{{tiers.<tier>.<OUTPUT>}}`
 * (whitespace inside the braces is free). Profiles are checked with these rules when
 * created and app values when given, so rendering can trust what it gets.
 */
import type { AppTier } from './items.ts';

export const databaseOutputs = ['HOST', 'PORT', 'USERNAME', 'PASSWORD'] as const;
export const serviceOutputs = ['HOST', 'PORT'] as const;

/** Anything that starts like a reference; what is inside is checked by {@link tierReferences}. */
const REFERENCE = /\{\{\s*tiers\.(.*?)\s*\}\}/g;
const TARGET = /^([a-z][a-z0-9-]*)\.([A-Za-z_][A-Za-z0-9_]*)$/;

export interface TierReference {
  /** The reference as written, braces included. */
  text: string;
  /** Undefined when the reference is not of the form `tiers.<tier>.<OUTPUT>`. */
  tier?: string;
  output?: string;
}

export function tierReferences(value: string): TierReference[] {
  return [...value.matchAll(REFERENCE)].map((match) => {
    const target = TARGET.exec(match[1]!);
    return target ? { text: match[0], tier: target[1]!, output: target[2]! } : { text: match[0] };
  });
}

export const hasTierReference = (text: string) => tierReferences(text).length > 0;

export function outputsOf(tier: AppTier): readonly string[] {
  if (tier.type === 'database') return databaseOutputs;
  if (tier.type === 'container' && tier.port !== undefined) return serviceOutputs;
  return [];
}

/**
 * What is wrong with the references in an env value of the tier at `index`, or
 * undefined when each names an output of an earlier tier: tiers deploy in order, so
 * only an earlier tier's outputs exist when this one is applied.
 */
export function referenceProblem(tiers: readonly AppTier[], index: number, value: string): string | undefined {
  for (const reference of tierReferences(value)) {
    if (reference.tier === undefined) return `${reference.text} is not a tier output: write {{tiers.<tier>.<OUTPUT>}}`;
    const target = tiers.findIndex((t) => t.name === reference.tier);
    if (target === -1) return `${reference.text} names no tier of this profile`;
    if (target >= index) {
      return `${reference.text}: tier ${reference.tier} deploys ${target === index ? 'as this very tier' : 'after this one'}; only earlier tiers' outputs can be used`;
    }
    const outputs = outputsOf(tiers[target]!);
    if (!outputs.includes(reference.output!)) {
      const has = outputs.length ? `its outputs are ${outputs.join(', ')}` : `a ${tiers[target]!.type} tier${tiers[target]!.type === 'container' ? ' without a port' : ''} has no outputs`;
      return `${reference.text}: tier ${reference.tier} has no output ${reference.output} (${has})`;
    }
  }
  return undefined;
}

/** The environment variable that carries a database tier's password into a longer value. */
export const passwordVariable = (tier: string) => `PALETTE_${tier.replaceAll('-', '_').toUpperCase()}_PASSWORD`;

/** Env names the platform keeps for itself (the password carriers above). */
export const RESERVED_ENV_PREFIX = 'PALETTE_';
