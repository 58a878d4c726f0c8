/** Cluster profiles (API.md "Cluster Mode"): versioned, immutable stacks of layers with typed variables. */
import * as z from 'zod';
import { displayName, idOf, listQuery, resourceFields } from '../api/schema-kit.ts';
import {
  checkVariableValue,
  compileVariableRegex,
  MAX_VARIABLE_REGEX_LENGTH,
  MAX_VARIABLE_VALUE_LENGTH,
  templateVariableNames,
  VARIABLE_NAME,
} from './variables.ts';
import { layerTypes, profileClouds, profileTypes, variableFormats } from './items.ts';
import { chartName, chartVersion } from '../registries/schemas.ts';

// Cluster profiles

export const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
export const KUBERNETES_VERSION = /^\d+\.\d+(\.\d+)?$/;
export const MAX_MANIFEST_BYTES = 64 * 1024;

export const profileCloud = z.enum(profileClouds);
export const profileType = z.enum(profileTypes);
export const layerType = z.enum(layerTypes);
export const variableFormat = z.enum(variableFormats);

const atMostBytes = (max: number) => (text: string) => Buffer.byteLength(text, 'utf8') <= max;

const manifest = z
  .strictObject({
    name: displayName,
    content: z
      .string()
      .regex(/\S/, 'must not be empty')
      .refine(atMostBytes(MAX_MANIFEST_BYTES), `must be at most ${MAX_MANIFEST_BYTES / 1024} KiB`),
  })
  .meta({ id: 'ProfileManifest',  description: 'Kubernetes YAML (several documents allowed)' });

const layer = z
  .strictObject({
    type: layerType,
    name: displayName,
    version: z.string().trim().min(1).max(64).meta({ description: 'for the k8s layer: the Kubernetes version, e.g. 1.31' }),
    values: z
      .string()
      .refine(atMostBytes(MAX_MANIFEST_BYTES), `must be at most ${MAX_MANIFEST_BYTES / 1024} KiB`)
      .optional()
      .meta({ description: 'YAML values; may use {{ .spectro.var.NAME }} or {{ var.NAME }}' }),
    manifests: z.array(manifest).max(20).optional(),
    registryId: idOf('registry').optional().meta({ description: 'helm layers: the registry the chart comes from' }),
    chart: chartName.optional().meta({ description: 'helm layers: the chart; `version` is its version, `values` its values (YAML)' }),
  })
  .meta({ id: 'ProfileLayer' });

const variable = z
  .strictObject({
    name: z.string().max(64).regex(VARIABLE_NAME, 'must start with a letter or _ and hold only letters, digits and _'),
    format: variableFormat.default('string'),
    default: z.union([z.string().max(MAX_VARIABLE_VALUE_LENGTH), z.number(), z.boolean()]).optional(),
    required: z.boolean().default(false),
    regex: z
      .string()
      .min(1)
      .max(MAX_VARIABLE_REGEX_LENGTH)
      .optional()
      .meta({ description: 'an RE2 regular expression the value must match (RE2 syntax: no backreferences or lookaround; matched in linear time, unanchored)' }),
  })
  .meta({ id: 'ProfileVariable' });

type ProfileBody = {
  type: z.infer<typeof profileType>;
  layers: z.infer<typeof layer>[];
  variables: z.infer<typeof variable>[];
};

/**
 * The rules that span fields; each problem gets the path of the field to fix. zod runs
 * this after continuable issues too (e.g. too few layers), so a path that already has
 * a problem gets no second one. Async because checking a regex loads RE2 on first use
 * (request bodies are parsed with safeParseAsync).
 */
async function checkProfile(body: ProfileBody, ctx: z.RefinementCtx<ProfileBody>) {
  const reported = new Set(ctx.issues.map((i) => (i.path ?? []).map(String).join('.')));
  const issue = (path: (string | number)[], message: string) => {
    if (reported.has(path.join('.'))) return;
    reported.add(path.join('.'));
    ctx.addIssue({ code: 'custom', path, message });
  };

  const k8sLayers = body.layers.flatMap((l, i) => (l.type === 'k8s' ? [i] : []));
  if (body.type === 'add-on') {
    body.layers.forEach((l, i) => {
      if (l.type !== 'addon' && l.type !== 'helm') issue(['layers', i, 'type'], 'add-on profiles may only have addon and helm layers');
    });
  } else if (k8sLayers.length === 0) {
    issue(['layers'], `${body.type} profiles need exactly one k8s layer`);
  } else {
    for (const i of k8sLayers.slice(1)) issue(['layers', i, 'type'], `${body.type} profiles need exactly one k8s layer`);
  }
  for (const i of k8sLayers) {
    if (!KUBERNETES_VERSION.test(body.layers[i]!.version)) {
      issue(['layers', i, 'version'], 'must be a Kubernetes version like 1.31 or 1.31.2');
    }
  }

  body.layers.forEach((l, i) => {
    if (l.type === 'helm') {
      if (!l.registryId) issue(['layers', i, 'registryId'], 'a helm layer names the registry of its chart');
      if (!l.chart) issue(['layers', i, 'chart'], 'a helm layer names its chart');
      if (!/^[a-z]([-a-z0-9]{0,51}[a-z0-9])?$/.test(l.name)) issue(['layers', i, 'name'], 'a helm layer\'s name is its release\'s: lowercase letters, digits and hyphens, starting with a letter, at most 53');
      if (!chartVersion.safeParse(l.version).success) issue(['layers', i, 'version'], 'must be the chart\'s semantic version, e.g. 1.2.3');
      if (l.manifests?.length) issue(['layers', i, 'manifests'], 'a helm layer takes its objects from its chart, not from manifests');
    } else {
      if (l.registryId !== undefined) issue(['layers', i, 'registryId'], 'only helm layers name a registry');
      if (l.chart !== undefined) issue(['layers', i, 'chart'], 'only helm layers name a chart');
    }
  });

  const layerNames = new Set<string>();
  body.layers.forEach((l, i) => {
    if (layerNames.has(l.name)) issue(['layers', i, 'name'], 'duplicate layer name');
    layerNames.add(l.name);
    const manifestNames = new Set<string>();
    l.manifests?.forEach((m, j) => {
      if (manifestNames.has(m.name)) issue(['layers', i, 'manifests', j, 'name'], 'duplicate manifest name');
      manifestNames.add(m.name);
    });
  });

  const variableNames = new Set<string>();
  for (const [i, v] of body.variables.entries()) {
    if (variableNames.has(v.name)) issue(['variables', i, 'name'], 'duplicate variable name');
    variableNames.add(v.name);
    if (v.regex !== undefined && !(await compileVariableRegex(v.regex))) {
      issue(['variables', i, 'regex'], 'is not a valid RE2 regular expression (no backreferences or lookaround)');
      continue;
    }
    if (v.default !== undefined) {
      const checked = await checkVariableValue(v, v.default);
      if (checked.problem !== undefined) issue(['variables', i, 'default'], checked.problem);
    }
  }

  const undeclared = (text: string) => templateVariableNames(text).filter((name) => !variableNames.has(name));
  body.layers.forEach((l, i) => {
    const inValues = undeclared(l.values ?? '');
    if (inValues.length) issue(['layers', i, 'values'], `uses undeclared variable ${inValues.join(', ')}`);
    l.manifests?.forEach((m, j) => {
      const inContent = undeclared(m.content);
      if (inContent.length) issue(['layers', i, 'manifests', j, 'content'], `uses undeclared variable ${inContent.join(', ')}`);
    });
  });
}

export const createClusterProfileBody = z
  .strictObject({
    name: displayName,
    version: z.string().max(64).regex(SEMVER, 'must be a version like 1.0.0 or 1.0.0-rc.1'),
    cloud: profileCloud,
    type: profileType,
    layers: z.array(layer).min(1).max(20),
    variables: z.array(variable).max(100).default([]),
  })
  .superRefine(checkProfile)
  .meta({ id: 'CreateClusterProfile' });

export type CreateClusterProfileInput = z.output<typeof createClusterProfileBody>;
export type ProfileLayer = z.output<typeof layer>;
export type ProfileVariableDeclaration = z.output<typeof variable>;

export const clusterProfile = z
  .object({
    id: idOf('clusterProfile'),
    name: z.string(),
    version: z.string().meta({ description: 'the profile version (semver); each version is its own resource' }),
    cloud: profileCloud,
    type: profileType,
    kubernetesVersion: z
      .string()
      .nullable()
      .meta({ description: 'the k8s layer\'s version (null for add-on profiles)' }),
    layers: z.array(layer),
    variables: z.array(variable),
    projectId: idOf('project'),
    createdAt: resourceFields.createdAt,
    updatedAt: resourceFields.updatedAt,
    revision: z.number().int().min(1).meta({
      description: 'the resource version of the conventions (ETag); profile versions are immutable, so always 1',
    }),
  })
  .meta({ id: 'ClusterProfile' });

export const listClusterProfilesQuery = listQuery.extend({
  name: displayName.optional().meta({ description: 'only the versions of the profile with this name' }),
});
