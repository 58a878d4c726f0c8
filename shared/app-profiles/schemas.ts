/** App profiles (API.md "App Mode"): versioned, immutable stacks of tiers an app deploys in order. */
import * as z from 'zod';
import { chartReference } from '../registries/schemas.ts';
import { displayName, idOf, listQuery, resourceFields } from '../api/schema-kit.ts';
import { appTierTypes, databaseEngines, type AppTier } from './items.ts';
import { parseManifest } from './manifests.ts';
import { hasTierReference, referenceProblem, RESERVED_ENV_PREFIX } from './outputs.ts';
import { SEMVER } from './semver.ts';

export const MAX_TIERS = 10;
export const MAX_MANIFEST_BYTES = 64 * 1024;
export const MAX_ENV_ENTRIES = 50;
export const MAX_ENV_VALUE_LENGTH = 4096;

/**
 * Tier names become Kubernetes object names (`<tier>`, `<tier>-credentials`,
 * `<tier>-data`), Service names among them, which must start with a letter.
 */
export const TIER_NAME = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
export const tierName = z
  .string()
  .min(1, { message: 'must not be empty', abort: true })
  .max(40)
  .regex(TIER_NAME, 'must be lowercase letters, digits and -, start with a letter and not end with -')
  .meta({ description: 'a DNS label (it names the tier\'s Kubernetes objects)' });

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envName = z
  .string()
  .max(256)
  .regex(ENV_NAME, 'must be an environment variable name: letters, digits and _, not starting with a digit')
  .refine((name) => !name.startsWith(RESERVED_ENV_PREFIX), `names starting with ${RESERVED_ENV_PREFIX} are reserved for the platform`);

/** Env of a container tier (and of an app's values for it); outputs of earlier tiers are checked where the tiers are known. */
export const tierEnv = z
  .record(envName, z.string().max(MAX_ENV_VALUE_LENGTH), {
    // The key's own message says what is wrong, not zod's generic "invalid key".
    error: (issue) => (issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined),
  })
  .refine((env) => Object.keys(env).length <= MAX_ENV_ENTRIES, `at most ${MAX_ENV_ENTRIES} variables`)
  .meta({
    description: `environment variable names (${RESERVED_ENV_PREFIX}… is reserved) to values, at most ${MAX_ENV_ENTRIES}; values may use earlier tiers' outputs: {{tiers.<tier>.<OUTPUT>}}`,
  });

export const containerImage = z
  .string()
  .min(1, { message: 'must not be empty', abort: true })
  .max(255)
  .regex(/^\S+$/, 'must be an image reference without whitespace')
  .meta({ example: 'ghcr.io/acme/web:1.4.2' });

export const tierReplicas = z.number().int().min(1).max(10);

/** Whole millicores: Kubernetes has no finer CPU quantity. */
const wholeMillicores = (cpu: number) => Math.abs(cpu * 1000 - Math.round(cpu * 1000)) < 1e-6;

export const tierResources = z
  .strictObject({
    cpu: z.number().positive().max(16).refine(wholeMillicores, 'must be a whole number of millicores (at most three decimals)')
      .meta({ description: 'CPU cores, fractions allowed (0.25 is 250m); requested and the limit' }),
    memoryMiB: z.number().int().min(16).max(65536).meta({ description: 'requested and the limit' }),
    gpu: z.number().int().min(0).max(8).optional()
      .meta({ description: 'whole GPUs per pod (a limit of nvidia.com/gpu, with the toleration of the GPU nodes\' taint); the virtual cluster needs resources.gpu' }),
  })
  .meta({ id: 'TierResources' });

const stringList = z.array(z.string().max(MAX_ENV_VALUE_LENGTH)).max(50);

const containerTier = z
  .strictObject({
    name: tierName,
    type: z.literal('container'),
    image: containerImage,
    port: z.number().int().min(1).max(65535).optional().meta({ description: 'exposed as a ClusterIP Service named after the tier' }),
    replicas: tierReplicas.default(1),
    env: tierEnv.optional(),
    command: stringList.optional(),
    args: stringList.optional(),
    resources: tierResources.optional(),
    volume: z
      .strictObject({
        sizeGiB: z.number().int().min(1).max(100),
        mountPath: z
          .string()
          .max(255)
          .regex(/^\/[^:\x00-\x1f]*$/, 'must be an absolute path (starting with /, without :)')
          .refine((path) => !path.split('/').includes('..'), 'must not contain ..'),
      })
      .optional()
      .meta({ description: 'a PersistentVolumeClaim mounted into the container' }),
  })
  .meta({ id: 'ContainerTier', description: 'a Deployment (and a Service when it has a port); outputs HOST and PORT when it has a port' });

const databaseTier = z
  .strictObject({
    name: tierName,
    type: z.literal('database'),
    engine: z.enum(databaseEngines),
    version: z.string().max(32).regex(/^\d+(\.\d+){0,2}$/, 'must be a version like 16, 8.4 or 7.2.5').meta({ description: 'the engine image\'s tag' }),
    storageGiB: z.number().int().min(1).max(100),
  })
  .meta({ id: 'DatabaseTier', description: 'a StatefulSet with storage; outputs HOST, PORT, USERNAME and PASSWORD (generated, kept in a Secret)' });

function checkManifestContent(content: string, ctx: z.RefinementCtx<string>) {
  if (!/\S/.test(content)) ctx.addIssue({ code: 'custom', message: 'must not be empty' });
  else if (Buffer.byteLength(content, 'utf8') > MAX_MANIFEST_BYTES) ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_MANIFEST_BYTES / 1024} KiB` });
  else {
    const parsed = parseManifest(content);
    if (parsed.problem !== undefined) ctx.addIssue({ code: 'custom', message: parsed.problem });
  }
}

const tierManifest = z
  .strictObject({
    name: displayName,
    content: z.string().superRefine(checkManifestContent).meta({ description: 'Kubernetes YAML, several documents allowed; each needs apiVersion, kind and metadata.name (at most 64 KiB)' }),
  })
  .meta({ id: 'TierManifest' });

const manifestTier = z
  .strictObject({
    name: tierName,
    type: z.literal('manifest'),
    manifests: z.array(tierManifest).min(1).max(20),
  })
  .meta({ id: 'ManifestTier', description: 'Kubernetes objects applied as written (labelled); no outputs' });

const helmTier = z
  .strictObject({
    name: tierName,
    type: z.literal('helm'),
    ...chartReference,
    values: z
      .record(z.string(), z.unknown())
      .refine((values) => Buffer.byteLength(JSON.stringify(values), 'utf8') <= MAX_MANIFEST_BYTES, `must be at most ${MAX_MANIFEST_BYTES / 1024} KiB as JSON`)
      .optional()
      .meta({ description: 'the release\'s values' }),
  })
  .meta({ id: 'HelmTier', description: 'a chart of a registry, released by Flux (a HelmRelease) in the app\'s namespace; ready when the release is; no outputs' });

export const appTier = z
  .discriminatedUnion('type', [containerTier, databaseTier, manifestTier, helmTier], {
    error: (issue) => (issue.code === 'invalid_union' ? `must be one of ${appTierTypes.join(', ')}` : undefined),
  })
  .meta({ id: 'AppTier' });

/**
 * The rules that span tiers, each reported at the field to fix: unique names, and
 * outputs used only in container env values and only of earlier tiers that have them.
 */
function checkTiers(tiers: AppTier[], ctx: z.RefinementCtx<AppTier[]>) {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const onlyInEnv = 'outputs of other tiers ({{tiers.…}}) can only be used in container env values';
  const seen = new Set<string>();
  tiers.forEach((tier, i) => {
    if (seen.has(tier.name)) issue([i, 'name'], `another tier is named ${tier.name}`);
    seen.add(tier.name);
    if (tier.type === 'container') {
      for (const [key, value] of Object.entries(tier.env ?? {})) {
        const problem = referenceProblem(tiers, i, value);
        if (problem) issue([i, 'env', key], problem);
      }
      if (hasTierReference(tier.image)) issue([i, 'image'], onlyInEnv);
      for (const field of ['command', 'args'] as const) {
        tier[field]?.forEach((text, j) => {
          if (hasTierReference(text)) issue([i, field, j], onlyInEnv);
        });
      }
    } else if (tier.type === 'manifest') {
      const names = new Set<string>();
      tier.manifests.forEach((manifest, j) => {
        if (names.has(manifest.name)) issue([i, 'manifests', j, 'name'], 'another manifest of this tier has this name');
        names.add(manifest.name);
        if (hasTierReference(manifest.content)) issue([i, 'manifests', j, 'content'], onlyInEnv);
      });
    }
  });
}

export const createAppProfileBody = z
  .strictObject({
    name: displayName,
    version: z.string().max(64).regex(SEMVER, 'must be a semantic version like 1.0.0 or 1.1.0-rc.1'),
    description: z.string().max(1024).default(''),
    tiers: z.array(appTier).min(1).max(MAX_TIERS).superRefine(checkTiers).meta({ description: 'deployed in order; a tier keeps its type in every version of the profile' }),
  })
  .meta({ id: 'CreateAppProfile' });

export type CreateAppProfileInput = z.output<typeof createAppProfileBody>;

export const appProfile = z
  .object({
    id: idOf('appProfile'),
    name: z.string(),
    version: z.string().meta({ description: 'the profile version (semver); each version is its own resource' }),
    description: z.string(),
    tiers: z.array(appTier),
    projectId: idOf('project'),
    createdAt: resourceFields.createdAt,
    updatedAt: resourceFields.updatedAt,
    revision: z.number().int().min(1).meta({
      description: 'the resource version of the conventions (ETag); profile versions are immutable, so always 1',
    }),
  })
  .meta({ id: 'AppProfile' });

export const listAppProfilesQuery = listQuery.extend({
  name: displayName.optional().meta({ description: 'only the versions of the profile with this name' }),
});
