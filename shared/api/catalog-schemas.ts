/** Cluster Mode catalog: cloud accounts and cluster profiles (API.md "Cluster Mode"). */
import { displayName, idOf, listQuery, resourceFields, z } from './schema-kit.ts';
import {
  checkVariableValue,
  compileVariableRegex,
  MAX_VARIABLE_VALUE_LENGTH,
  templateVariableNames,
  VARIABLE_NAME,
} from '../catalog/profile-variables.ts';

// Cloud accounts

export const cloudProvider = z.enum(['aws', 'sim']);

export const ROLE_ARN = /^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const EXTERNAL_ID_CHARS = /^[\w+=,.@:/-]+$/;

const awsSettings = z
  .strictObject({
    roleArn: z.string().regex(ROLE_ARN, 'must be an IAM role ARN like arn:aws:iam::123456789012:role/palette'),
    externalId: z
      .string()
      .min(2)
      .max(1224)
      .regex(EXTERNAL_ID_CHARS, 'may hold only letters, digits and _+=,.@:/-'),
  })
  .openapi('AwsCloudAccountSettings', { description: 'The IAM role the platform assumes, and the external id it passes' });

export const DEFAULT_SIM_PROVISION_SECONDS = 5;

const simSettings = z
  .strictObject({
    provisionSeconds: z.number().int().min(0).max(3600).default(DEFAULT_SIM_PROVISION_SECONDS),
    failProvisioning: z.boolean().default(false),
  })
  .openapi('SimCloudAccountSettings', { description: 'The simulated cloud: how long provisioning takes, and whether it fails' });

export const createCloudAccountBody = z
  .strictObject({
    name: displayName,
    provider: cloudProvider,
    aws: awsSettings.optional().openapi({ description: 'required for provider aws, refused for sim' }),
    sim: simSettings.optional().openapi({ description: 'only for provider sim' }),
  })
  .superRefine((body, ctx) => {
    if (body.provider === 'aws') {
      if (!body.aws) ctx.addIssue({ code: 'custom', path: ['aws'], message: 'required when provider is aws' });
      if (body.sim) ctx.addIssue({ code: 'custom', path: ['sim'], message: 'only allowed when provider is sim' });
    } else if (body.aws) {
      ctx.addIssue({ code: 'custom', path: ['aws'], message: 'only allowed when provider is aws' });
    }
  })
  .openapi('CreateCloudAccount');

export const cloudAccount = z
  .object({
    id: idOf('cloudAccount'),
    name: z.string(),
    provider: cloudProvider,
    aws: z.object({ roleArn: z.string(), externalId: z.string() }).optional(),
    sim: z.object({ provisionSeconds: z.number().int(), failProvisioning: z.boolean() }).optional(),
    projectId: idOf('project'),
    ...resourceFields,
  })
  .openapi('CloudAccount');

// Cluster profiles

export const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
export const KUBERNETES_VERSION = /^\d+\.\d+(\.\d+)?$/;
export const MAX_MANIFEST_BYTES = 64 * 1024;

export const profileCloud = z.enum(['eks', 'sim', 'all']);
export const profileType = z.enum(['infra', 'add-on', 'full']);
export const layerType = z.enum(['os', 'k8s', 'cni', 'csi', 'addon']);
export const variableFormat = z.enum(['string', 'number', 'boolean']);

const atMostBytes = (max: number) => (text: string) => Buffer.byteLength(text, 'utf8') <= max;

const manifest = z
  .strictObject({
    name: displayName,
    content: z
      .string()
      .regex(/\S/, 'must not be empty')
      .refine(atMostBytes(MAX_MANIFEST_BYTES), `must be at most ${MAX_MANIFEST_BYTES / 1024} KiB`),
  })
  .openapi('ProfileManifest', { description: 'Kubernetes YAML (several documents allowed)' });

const layer = z
  .strictObject({
    type: layerType,
    name: displayName,
    version: z.string().trim().min(1).max(64).openapi({ description: 'for the k8s layer: the Kubernetes version, e.g. 1.31' }),
    values: z
      .string()
      .refine(atMostBytes(MAX_MANIFEST_BYTES), `must be at most ${MAX_MANIFEST_BYTES / 1024} KiB`)
      .optional()
      .openapi({ description: 'YAML values; may use {{ .spectro.var.NAME }} or {{ var.NAME }}' }),
    manifests: z.array(manifest).max(20).optional(),
  })
  .openapi('ProfileLayer');

const variable = z
  .strictObject({
    name: z.string().max(64).regex(VARIABLE_NAME, 'must start with a letter or _ and hold only letters, digits and _'),
    format: variableFormat.default('string'),
    default: z.union([z.string().max(MAX_VARIABLE_VALUE_LENGTH), z.number(), z.boolean()]).optional(),
    required: z.boolean().default(false),
    regex: z.string().min(1).max(1024).optional().openapi({ description: 'a JavaScript regular expression the value must match' }),
  })
  .openapi('ProfileVariable');

type ProfileBody = {
  type: z.infer<typeof profileType>;
  layers: z.infer<typeof layer>[];
  variables: z.infer<typeof variable>[];
};

/**
 * The rules that span fields; each problem gets the path of the field to fix. zod runs
 * this after continuable issues too (e.g. too few layers), so a path that already has
 * a problem gets no second one.
 */
function checkProfile(body: ProfileBody, ctx: z.RefinementCtx<ProfileBody>) {
  const reported = new Set(ctx.issues.map((i) => (i.path ?? []).map(String).join('.')));
  const issue = (path: (string | number)[], message: string) => {
    if (reported.has(path.join('.'))) return;
    reported.add(path.join('.'));
    ctx.addIssue({ code: 'custom', path, message });
  };

  const k8sLayers = body.layers.flatMap((l, i) => (l.type === 'k8s' ? [i] : []));
  if (body.type === 'add-on') {
    body.layers.forEach((l, i) => {
      if (l.type !== 'addon') issue(['layers', i, 'type'], 'add-on profiles may only have addon layers');
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
  body.variables.forEach((v, i) => {
    if (variableNames.has(v.name)) issue(['variables', i, 'name'], 'duplicate variable name');
    variableNames.add(v.name);
    if (v.regex !== undefined && !compileVariableRegex(v.regex)) {
      issue(['variables', i, 'regex'], 'is not a valid regular expression');
      return;
    }
    if (v.default !== undefined) {
      const checked = checkVariableValue(v, v.default);
      if (checked.problem !== undefined) issue(['variables', i, 'default'], checked.problem);
    }
  });

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
  .openapi('CreateClusterProfile');

export type CreateClusterProfileInput = z.output<typeof createClusterProfileBody>;
export type CreateCloudAccountInput = z.output<typeof createCloudAccountBody>;
export type ProfileLayer = z.output<typeof layer>;
export type ProfileVariableDeclaration = z.output<typeof variable>;

export const clusterProfile = z
  .object({
    id: idOf('clusterProfile'),
    name: z.string(),
    version: z.string().openapi({ description: 'the profile version (semver); each version is its own resource' }),
    cloud: profileCloud,
    type: profileType,
    kubernetesVersion: z
      .string()
      .nullable()
      .openapi({ description: 'the k8s layer\'s version (null for add-on profiles)' }),
    layers: z.array(layer),
    variables: z.array(variable),
    projectId: idOf('project'),
    createdAt: resourceFields.createdAt,
    updatedAt: resourceFields.updatedAt,
    revision: z.number().int().min(1).openapi({
      description: 'the resource version of the conventions (ETag); profile versions are immutable, so always 1',
    }),
  })
  .openapi('ClusterProfile');

export const listClusterProfilesQuery = listQuery.extend({
  name: displayName.optional().openapi({ description: 'only the versions of the profile with this name' }),
});
