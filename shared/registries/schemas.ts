/** Registries (API.md "Registries and Helm"): Helm repositories and OCI registries a tenant's profiles take charts from. */
import * as z from 'zod';
import { displayName, idOf, resourceFields } from '../api/schema-kit.ts';
import { registryTypes } from './items.ts';
import { registryUrlProblem } from './url.ts';

/** Helm chart names (and OCI repository names under the registry's path): no path, no `..`. */
export const chartName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/, 'must be a chart name: lowercase letters, digits, -, _ and ., starting and ending with a letter or digit')
  .refine((name) => !name.includes('..'), 'must not contain ..');

export const chartVersion = z
  .string()
  .min(1)
  .max(64)
  .regex(/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/, 'must be the chart\'s semantic version, e.g. 1.2.3');

const basicAuth = z.strictObject({ username: z.string().min(1).max(256), password: z.string().min(1).max(4096).meta({ description: 'sealed at rest, never returned' }) });
const tokenAuth = z.strictObject({ token: z.string().min(1).max(8192).meta({ description: 'sealed at rest, never returned' }) });

export const createRegistryBody = z
  .strictObject({
    name: displayName,
    type: z.enum(registryTypes),
    url: z.string().max(2048).meta({ description: 'helm: https://… (its index.yaml beside it); oci: oci://host/path' }),
    auth: z.union([basicAuth, tokenAuth]).optional(),
  })
  .superRefine((body, ctx) => {
    const problem = registryUrlProblem(body.type, body.url);
    if (problem) ctx.addIssue({ code: 'custom', path: ['url'], message: problem });
  })
  .meta({ id: 'CreateRegistry' });
export type CreateRegistryInput = z.infer<typeof createRegistryBody>;

export const registry = z
  .object({
    id: idOf('registry'),
    name: z.string(),
    type: z.enum(registryTypes),
    url: z.string(),
    authKind: z.enum(['basic', 'token']).optional().meta({ description: 'how the platform signs in; absent for an anonymous registry' }),
    username: z.string().optional(),
    secretSet: z.boolean().meta({ description: 'a password or token is kept (sealed); it is never returned' }),
    references: z.number().int().meta({ description: 'profile versions whose helm layers or tiers use the registry' }),
    ...resourceFields,
  })
  .meta({ id: 'Registry' });

export const chartList = z
  .object({ items: z.array(z.object({ name: z.string(), versions: z.array(z.string()).meta({ description: 'newest first' }) })) })
  .meta({ id: 'ChartList' });

export const chartQuery = z.strictObject({ name: chartName.optional().meta({ description: 'only this chart' }) });

/** A helm layer's or tier's chart reference, as profiles carry it. */
export const chartReference = {
  registryId: idOf('registry'),
  chart: chartName,
  version: chartVersion,
};
