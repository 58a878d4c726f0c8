/**
 * An app's per-tier overrides (`values` of API.md's app create, upgrade and webhook
 * deliveries): container tiers take `image`, `replicas`, `env` (merged over the
 * tier's) and `resources`; database and manifest tiers take none.
 */
import * as z from 'zod';
import type { FieldError } from '../errors.ts';
import { fieldErrors } from '../http/field-errors.ts';
import type { AppTier } from '../app-profiles/items.ts';
import { referenceProblem } from '../app-profiles/outputs.ts';
import { containerImage, tierEnv, tierReplicas, tierResources } from '../app-profiles/schemas.ts';

export const tierValues = z
  .strictObject({
    image: containerImage.optional(),
    replicas: tierReplicas.optional(),
    env: tierEnv.optional(),
    resources: tierResources.optional(),
  })
  .meta({ id: 'TierValues', description: 'overrides of a container tier: image, replicas, env (merged over the tier\'s) and resources' });
export type TierValues = z.output<typeof tierValues>;

/** Keyed by tier name; which names exist depends on the profile, so {@link checkTierValues} checks them. */
export const appValues = z
  .record(z.string().max(64, 'is no tier name (at most 64 characters)'), tierValues, {
    error: (issue) => (issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined),
  })
  .meta({ id: 'AppValues', description: 'per-tier overrides at deploy, by tier name (container tiers only)' });
export type AppValues = z.output<typeof appValues>;

/**
 * Every problem of `values` against the profile's tiers, at `<root>.<tier>.<field>`:
 * the shape (unknown fields included), tiers the profile does not have, values for
 * tiers that take none, and env references that are not outputs of earlier tiers.
 * Empty when the values can be deployed. Run it again on upgrade: a new version may
 * have dropped a tier the values name.
 */
export function checkTierValues(tiers: readonly AppTier[], values: unknown, root = 'body.values'): FieldError[] {
  const parsed = appValues.safeParse(values ?? {});
  if (!parsed.success) return fieldErrors(parsed.error.issues, root);
  const problems: FieldError[] = [];
  for (const [name, given] of Object.entries(parsed.data)) {
    const index = tiers.findIndex((tier) => tier.name === name);
    if (index === -1) {
      problems.push({ path: `${root}.${name}`, message: `the app profile has no tier named ${name}` });
      continue;
    }
    const tier = tiers[index]!;
    if (tier.type !== 'container') {
      for (const field of Object.keys(given)) problems.push({ path: `${root}.${name}.${field}`, message: `${tier.type} tiers take no values` });
      continue;
    }
    for (const [key, value] of Object.entries(given.env ?? {})) {
      const problem = referenceProblem(tiers, index, value);
      if (problem) problems.push({ path: `${root}.${name}.env.${key}`, message: problem });
    }
  }
  return problems;
}
