/**
 * What deploying an app applies, tier by tier, into the app's namespace of a virtual
 * cluster: plain Kubernetes objects for server-side apply, the Secrets to generate
 * once, the workloads whose readiness makes the tier Ready, and the tier's outputs for
 * the tiers after it. Pure: no I/O, the same input always renders the same objects.
 *
 * Passwords never appear as text: a database tier's password lives in a Secret the
 * apps feature creates once with a generated value, and every consumer reads it
 * through a secretKeyRef (or a `$(VAR)` expansion of one).
 */
import { GPU_TAINT } from '../host-clusters/instance-types.ts';
import { createHash } from 'node:crypto';
import type {
  KubernetesObject,
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1PersistentVolumeClaim,
  V1PersistentVolumeClaimSpec,
  V1ResourceRequirements,
  V1Service,
  V1StatefulSet,
} from '@kubernetes/client-node';
import type { AppTier, AppTierType, ContainerTier, DatabaseTier, HelmTier, ManifestTier } from '../app-profiles/items.ts';
import { fluxObjects, type HelmChartUse } from '../helm/flux.ts';
import { parseManifest } from '../app-profiles/manifests.ts';
import { passwordVariable, referenceProblem, tierReferences } from '../app-profiles/outputs.ts';
import { engines } from './engines.ts';
import type { AppValues, TierValues } from './tier-values.ts';

export type { KubernetesObject } from '@kubernetes/client-node';
export type { AppTier as Tier } from '../app-profiles/items.ts';
export { appValues, checkTierValues, tierValues, type AppValues, type TierValues } from './tier-values.ts';

export interface RenderInput {
  appId: string;
  appName: string;
  namespace: string;
  tiers: readonly AppTier[];
  /** Checked with checkTierValues first; values of tiers the profile does not have are ignored. */
  values?: AppValues;
  /** The registries helm tiers name (where each is; whether it takes a credential). */
  registries?: ReadonlyMap<string, HelmChartUse['registry']>;
}

export interface GeneratedSecret {
  name: string;
  namespace: string;
  keys: string[];
  labels: Record<string, string>;
}

export interface Workload {
  apiVersion: string;
  kind: 'Deployment' | 'StatefulSet';
  name: string;
  namespace: string;
}

export interface RenderedTier {
  name: string;
  type: AppTierType;
  /** In apply order; namespaced ones carry `namespace`, except manifest objects that name none (the applier defaults those). */
  objects: KubernetesObject[];
  /** Secrets to create once with a generated password if they do not exist yet (never re-applied, so the password stays). */
  generatedSecrets: GeneratedSecret[];
  /** Workloads whose readiness (isWorkloadReady) makes the tier Ready. */
  workloads: Workload[];
  /** HOST, PORT, USERNAME as text; a PASSWORD is never a value. */
  outputs: Record<string, string>;
  /** Helm tiers: the chart released (its HelmRelease's readiness makes the tier Ready; its credential Secret is the step's to write). */
  charts: HelmChartUse[];
  /** 32 hex digits over `objects` and `generatedSecrets` (keys sorted): equal exactly when the tier is unchanged; fits a label value. */
  hash: string;
}

/** The key of the generated password in a database tier's Secret. */
export const PASSWORD_KEY = 'password';
export const credentialsSecretName = (tier: string) => `${tier}-credentials`;

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A valid label value for any text: as is when it already is one, else the closest one (Kubernetes refuses the object otherwise). */
function labelValue(text: string): string {
  if (text.length <= 63 && LABEL_VALUE.test(text)) return text;
  return text.replace(/[^-A-Za-z0-9_.]/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}

interface Context {
  input: RenderInput;
  namespace: string;
  /** Outputs of the tiers rendered so far. */
  outputs: Map<string, Record<string, string>>;
}

const labelsOf = (ctx: Context, tier: string): Record<string, string> => ({
  'app.kubernetes.io/managed-by': 'palette',
  'app.kubernetes.io/name': tier,
  'app.kubernetes.io/instance': labelValue(ctx.input.appName),
  'palette.dev/app': labelValue(ctx.input.appId),
  'palette.dev/tier': tier,
});

/** What selects a tier's pods: stable for the app's life, since a workload's selector cannot change. */
const selectorOf = (ctx: Context, tier: string) => ({ 'palette.dev/app': labelValue(ctx.input.appId), 'palette.dev/tier': tier });

const metadataOf = (ctx: Context, name: string, tier: string) => ({ name, namespace: ctx.namespace, labels: labelsOf(ctx, tier) });

const serviceHost = (ctx: Context, tier: string) => `${tier}.${ctx.namespace}.svc.cluster.local`;

const cpuQuantity = (cores: number) => (Number.isInteger(cores) ? String(cores) : `${Math.round(cores * 1000)}m`);

const claimSpec = (sizeGiB: number): V1PersistentVolumeClaimSpec => ({
  accessModes: ['ReadWriteOnce'],
  resources: { requests: { storage: `${sizeGiB}Gi` } },
});

const passwordRef = (tier: string) => ({ secretKeyRef: { name: credentialsSecretName(tier), key: PASSWORD_KEY } });

function service(ctx: Context, tier: string, port: number): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadataOf(ctx, tier, tier),
    spec: { type: 'ClusterIP', selector: selectorOf(ctx, tier), ports: [{ port, targetPort: port, protocol: 'TCP' }] },
  };
}

/**
 * The container's env: references to earlier tiers' outputs resolved, a password only
 * through the Secret. Kubernetes expands `$(VAR)` only from variables listed before,
 * so the password carriers come first; the rest is ordered by name, so the same env
 * always renders the same list (stored maps keep no order).
 */
function resolveEnv(ctx: Context, tiers: readonly AppTier[], index: number, env: Record<string, string>): V1EnvVar[] {
  const tier = tiers[index]!;
  const carriers = new Map<string, V1EnvVar>();
  const resolved: V1EnvVar[] = Object.keys(env).sort().map((name) => {
    const value = env[name]!;
    const references = tierReferences(value);
    if (references.length === 0) return { name, value };
    const problem = referenceProblem(tiers, index, value);
    if (problem) throw new Error(`tier ${tier.name}, env ${name}: ${problem}`);
    if (references.length === 1 && references[0]!.text === value && references[0]!.output === 'PASSWORD') {
      return { name, valueFrom: passwordRef(references[0]!.tier!) };
    }
    let text = value;
    for (const reference of references) {
      let replacement: string;
      if (reference.output === 'PASSWORD') {
        const carrier = passwordVariable(reference.tier!);
        carriers.set(carrier, { name: carrier, valueFrom: passwordRef(reference.tier!) });
        replacement = `$(${carrier})`;
      } else {
        const output = ctx.outputs.get(reference.tier!)?.[reference.output!];
        if (output === undefined) throw new Error(`tier ${tier.name}, env ${name}: tier ${reference.tier} rendered without its ${reference.output}`);
        replacement = output;
      }
      text = text.replace(reference.text, () => replacement);
    }
    return { name, value: text };
  });
  return [...[...carriers.values()].sort((a, b) => (a.name < b.name ? -1 : 1)), ...resolved];
}

type Rendered = Omit<RenderedTier, 'hash'>;

/** The extended resource NVIDIA's device plugin advertises. */
const GPU_RESOURCE = 'nvidia.com/gpu';

function renderContainer(ctx: Context, tiers: readonly AppTier[], index: number, tier: ContainerTier, values: TierValues | undefined): Rendered {
  const env = resolveEnv(ctx, tiers, index, { ...tier.env, ...values?.env });
  const limits = values?.resources ?? tier.resources;
  const gpus = limits?.gpu ?? 0;
  const quantities = limits && { cpu: cpuQuantity(limits.cpu), memory: `${limits.memoryMiB}Mi`, ...(gpus > 0 ? { [GPU_RESOURCE]: String(gpus) } : {}) };
  const resources: V1ResourceRequirements | undefined = quantities && { requests: { ...quantities }, limits: { ...quantities } };
  const claimName = `${tier.name}-data`;
  const container: V1Container = {
    name: tier.name,
    image: values?.image ?? tier.image,
    ...(tier.command?.length ? { command: tier.command } : {}),
    ...(tier.args?.length ? { args: tier.args } : {}),
    ...(env.length ? { env } : {}),
    ...(tier.port !== undefined ? { ports: [{ containerPort: tier.port, protocol: 'TCP' }] } : {}),
    ...(resources ? { resources } : {}),
    ...(tier.volume ? { volumeMounts: [{ name: 'data', mountPath: tier.volume.mountPath }] } : {}),
  };
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadataOf(ctx, tier.name, tier.name),
    spec: {
      replicas: values?.replicas ?? tier.replicas,
      selector: { matchLabels: selectorOf(ctx, tier.name) },
      // A ReadWriteOnce volume attaches to one node: a rolling update's new pod could wait forever for the old one's.
      ...(tier.volume ? { strategy: { type: 'Recreate' } } : {}),
      template: {
        metadata: { labels: labelsOf(ctx, tier.name) },
        spec: {
          // Service links would put <TIER>_PORT and friends into every pod, where they clash with env of the same names.
          enableServiceLinks: false,
          containers: [container],
          // GPU nodes carry the GPU taint (instance-types.ts): only pods that use a GPU go there.
          ...(gpus > 0 ? { tolerations: [{ key: GPU_TAINT.key, operator: 'Exists', effect: GPU_TAINT.effect }] } : {}),
          ...(tier.volume ? { volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }] } : {}),
        },
      },
    },
  };
  const objects: KubernetesObject[] = [];
  if (tier.volume) {
    const claim: V1PersistentVolumeClaim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: metadataOf(ctx, claimName, tier.name),
      spec: claimSpec(tier.volume.sizeGiB),
    };
    objects.push(claim);
  }
  objects.push(deployment);
  if (tier.port !== undefined) objects.push(service(ctx, tier.name, tier.port));
  return {
    name: tier.name,
    type: 'container',
    charts: [],
    objects,
    generatedSecrets: [],
    workloads: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: tier.name, namespace: ctx.namespace }],
    outputs: tier.port !== undefined ? { HOST: serviceHost(ctx, tier.name), PORT: String(tier.port) } : {},
  };
}

function renderDatabase(ctx: Context, tier: DatabaseTier): Rendered {
  const engine = engines[tier.engine];
  const secretName = credentialsSecretName(tier.name);
  const statefulSet: V1StatefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: metadataOf(ctx, tier.name, tier.name),
    spec: {
      serviceName: tier.name,
      replicas: 1,
      selector: { matchLabels: selectorOf(ctx, tier.name) },
      template: {
        metadata: { labels: labelsOf(ctx, tier.name) },
        spec: {
          enableServiceLinks: false,
          automountServiceAccountToken: false,
          containers: [
            {
              name: tier.engine,
              image: `${engine.image}:${tier.version}`,
              ports: [{ containerPort: engine.port, protocol: 'TCP' }],
              env: engine.env((name) => ({ name, valueFrom: { secretKeyRef: { name: secretName, key: PASSWORD_KEY } } })),
              ...(engine.args ? { args: engine.args } : {}),
              volumeMounts: [{ name: 'data', mountPath: engine.dataDir }],
              // Later tiers deploy once this one is Ready: ready means it takes connections.
              readinessProbe: { tcpSocket: { port: engine.port }, periodSeconds: 5 },
            },
          ],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data', labels: labelsOf(ctx, tier.name) }, spec: claimSpec(tier.storageGiB) }],
    },
  };
  return {
    name: tier.name,
    type: 'database',
    charts: [],
    objects: [statefulSet, service(ctx, tier.name, engine.port)],
    generatedSecrets: [{ name: secretName, namespace: ctx.namespace, keys: [PASSWORD_KEY], labels: labelsOf(ctx, tier.name) }],
    workloads: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: tier.name, namespace: ctx.namespace }],
    outputs: { HOST: serviceHost(ctx, tier.name), PORT: String(engine.port), USERNAME: engine.username },
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Adds labels to a pod template's metadata (creating it when absent). */
function labelTemplate(template: unknown, labels: Record<string, string>): void {
  if (!isRecord(template)) return;
  const metadata = isRecord(template.metadata) ? template.metadata : (template.metadata = {});
  metadata.labels = { ...(isRecord(metadata.labels) ? metadata.labels : {}), ...labels };
}

/** Where the pod template sits in the workload kinds that have one. */
function podTemplatesOf(object: Record<string, unknown>): unknown[] {
  const spec = isRecord(object.spec) ? object.spec : undefined;
  if (!spec) return [];
  if (object.kind === 'CronJob') {
    const jobSpec = isRecord(spec.jobTemplate) && isRecord(spec.jobTemplate.spec) ? spec.jobTemplate.spec : undefined;
    return jobSpec ? [jobSpec.template] : [];
  }
  return ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(String(object.kind)) ? [spec.template] : [];
}

function renderManifests(ctx: Context, tier: ManifestTier): Rendered {
  const labels = labelsOf(ctx, tier.name);
  const objects: KubernetesObject[] = [];
  const workloads: Workload[] = [];
  for (const manifest of tier.manifests) {
    const parsed = parseManifest(manifest.content);
    if (parsed.problem !== undefined) throw new Error(`tier ${tier.name}, manifest ${manifest.name} ${parsed.problem}`);
    for (const object of parsed.objects) {
      object.metadata.labels = { ...object.metadata.labels, ...labels };
      for (const template of podTemplatesOf(object)) labelTemplate(template, labels);
      if (object.apiVersion === 'apps/v1' && (object.kind === 'Deployment' || object.kind === 'StatefulSet')) {
        workloads.push({ apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace ?? ctx.namespace });
      }
      objects.push(object);
    }
  }
  return { name: tier.name, type: 'manifest', objects, generatedSecrets: [], workloads, outputs: {}, charts: [] };
}

function renderHelm(ctx: Context, tier: HelmTier): Rendered {
  const registry = ctx.input.registries?.get(tier.registryId);
  if (!registry) throw new Error(`tier ${tier.name}: registry ${tier.registryId} was not given`);
  const use: HelmChartUse = {
    release: tier.name,
    namespace: ctx.namespace,
    registry,
    chart: tier.chart,
    version: tier.version,
    ...(tier.values ? { values: tier.values } : {}),
    labels: labelsOf(ctx, tier.name),
  };
  return { name: tier.name, type: 'helm', objects: fluxObjects(use), generatedSecrets: [], workloads: [], outputs: {}, charts: [use] };
}

/** JSON with every object's keys sorted, so equal content always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (isRecord(value)) {
    const fields = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value);
}

const hashOf = (rendered: Rendered) =>
  createHash('sha256').update(canonicalJson({ objects: rendered.objects, generatedSecrets: rendered.generatedSecrets })).digest('hex').slice(0, 32);

/**
 * Every tier of the app, in deploy order. The tiers are a stored profile's (checked
 * when it was created) and the values are checked with checkTierValues, so a
 * reference that cannot be resolved is a programming error and throws.
 */
export function renderTiers(input: RenderInput): RenderedTier[] {
  const ctx: Context = { input, namespace: input.namespace, outputs: new Map() };
  return input.tiers.map((tier, index) => {
    const values = input.values && Object.hasOwn(input.values, tier.name) ? input.values[tier.name] : undefined;
    const rendered =
      tier.type === 'container'
        ? renderContainer(ctx, input.tiers, index, tier, values)
        : tier.type === 'database'
          ? renderDatabase(ctx, tier)
          : tier.type === 'helm'
            ? renderHelm(ctx, tier)
            : renderManifests(ctx, tier);
    ctx.outputs.set(tier.name, rendered.outputs);
    return { ...rendered, hash: hashOf(rendered) };
  });
}

const counter = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/**
 * Whether a Deployment or StatefulSet has rolled out: its controller has seen the
 * current generation and every desired replica runs the current template and is
 * available (Deployment) or ready (StatefulSet); for a Deployment, no pod of an older
 * template is left either (what `kubectl rollout status` waits for). A missing counter
 * reads as 0, as Kubernetes omits zeros; `spec.replicas` defaults to 1. Anything else
 * is not ready.
 */
export function isWorkloadReady(object: unknown): boolean {
  if (!isRecord(object)) return false;
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const spec = isRecord(object.spec) ? object.spec : {};
  const status = isRecord(object.status) ? object.status : {};
  const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
  if (counter(status.observedGeneration) < counter(metadata.generation)) return false;
  if (object.kind === 'Deployment') {
    const updated = counter(status.updatedReplicas);
    return updated >= desired && counter(status.availableReplicas) >= desired && counter(status.replicas) <= updated;
  }
  if (object.kind === 'StatefulSet') {
    const strategy = isRecord(spec.updateStrategy) ? spec.updateStrategy : {};
    const rolling = isRecord(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
    // OnDelete replaces pods only when someone deletes them, and a partition keeps the pods below it on the old template.
    const mustUpdate = strategy.type === 'OnDelete' ? 0 : desired - counter(rolling.partition);
    return counter(status.readyReplicas) >= desired && counter(status.updatedReplicas) >= mustUpdate;
  }
  return false;
}
