/**
 * The CustomResourceDefinitions of the Flux objects the emulator reconciles (see
 * controllers/flux.ts): HelmRepository and OCIRepository (source.toolkit.fluxcd.io) and
 * HelmRelease (helm.toolkit.fluxcd.io/v2). Their schemas follow Flux 2.6's: every spec
 * field with its type, enums, patterns and defaults, the sections the emulator does not
 * act on (install/upgrade remediation, post-renderers, verification...) kept as open
 * objects. Printer columns are Flux's.
 */
import { createHash } from 'node:crypto';
import type { ClusterState } from './cluster.ts';
import type { JsonObject, KubeObject } from './json.ts';
import { builtinOfKind } from './resources.ts';

/** The Flux release whose CRDs these are. */
export const FLUX_VERSION = 'v2.6.0';
export const SOURCE_GROUP = 'source.toolkit.fluxcd.io';
export const HELM_GROUP = 'helm.toolkit.fluxcd.io';

const CRD = builtinOfKind('CustomResourceDefinition');

const string = (description: string, extra: JsonObject = {}): JsonObject => ({ type: 'string', description, ...extra });
const boolean = (description: string): JsonObject => ({ type: 'boolean', description });
const open = (description: string): JsonObject => ({ type: 'object', description, 'x-kubernetes-preserve-unknown-fields': true });
const object = (description: string, properties: JsonObject, required?: string[]): JsonObject => ({ type: 'object', description, properties, ...(required ? { required } : {}) });
const duration = (description: string, extra: JsonObject = {}): JsonObject => string(description, { pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$', ...extra });
const stringMap = (description: string): JsonObject => ({ type: 'object', description, additionalProperties: { type: 'string' } });
const localReference = (description: string): JsonObject => object(description, { name: string('Name of the referent.') }, ['name']);
const provider = string('The OIDC provider used for authentication (generic for static credentials).', { enum: ['generic', 'aws', 'azure', 'gcp'], default: 'generic' });

const conditions: JsonObject = {
  type: 'array',
  description: 'Conditions holds the conditions of the object.',
  items: object(
    'Condition contains details for one aspect of the current state of this API Resource.',
    {
      lastTransitionTime: string('The last time the condition transitioned from one status to another.', { format: 'date-time' }),
      message: string('A human readable message indicating details about the transition.', { maxLength: 32768 }),
      observedGeneration: { type: 'integer', format: 'int64', minimum: 0, description: 'The .metadata.generation that the condition was set based upon.' },
      reason: string('A programmatic identifier indicating the reason for the last transition.', { maxLength: 1024, minLength: 1, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' }),
      status: string('Status of the condition, one of True, False, Unknown.', { enum: ['True', 'False', 'Unknown'] }),
      type: string('Type of condition in CamelCase.', { maxLength: 316 }),
    },
    ['lastTransitionTime', 'message', 'reason', 'status', 'type'],
  ),
};

const artifact = object(
  'Artifact represents the output of the last successful reconciliation.',
  {
    digest: string('Digest is the digest of the file in the form of <algorithm>:<checksum>.', { pattern: '^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$' }),
    lastUpdateTime: string('LastUpdateTime is the timestamp corresponding to the last update of the Artifact.', { format: 'date-time' }),
    metadata: stringMap('Metadata holds upstream information such as OCI annotations.'),
    path: string('Path is the relative file path of the Artifact.'),
    revision: string('Revision is a human-readable identifier traceable in the origin source system.'),
    size: { type: 'integer', format: 'int64', description: 'Size is the number of bytes in the file.' },
    url: string('URL is the HTTP address of the Artifact as exposed by the controller.'),
  },
  ['lastUpdateTime', 'path', 'revision', 'url'],
);

const sourceStatus = (extra: JsonObject): JsonObject =>
  object('The observed state of the source.', {
    observedGeneration: { type: 'integer', format: 'int64', description: 'ObservedGeneration is the last observed generation.' },
    conditions,
    url: string('URL is the dynamic fetch link for the latest Artifact.'),
    artifact,
    lastHandledReconcileAt: string('The last manual reconciliation request (by reconcile.fluxcd.io/requestedAt) handled.'),
    ...extra,
  });

const readyColumns = [
  { jsonPath: '.status.conditions[?(@.type=="Ready")].status', name: 'Ready', type: 'string' },
  { jsonPath: '.status.conditions[?(@.type=="Ready")].message', name: 'Status', type: 'string' },
];
const ageColumn = { jsonPath: '.metadata.creationTimestamp', name: 'Age', type: 'date' };

const topLevel = (description: string, spec: JsonObject, status: JsonObject): JsonObject => ({
  type: 'object',
  description,
  properties: {
    apiVersion: string('APIVersion defines the versioned schema of this representation of an object.'),
    kind: string('Kind is a string value representing the REST resource this object represents.'),
    metadata: { type: 'object' },
    spec,
    status,
  },
});

const helmRepositorySchema = topLevel(
  'HelmRepository is the Schema for the helmrepositories API.',
  object(
    'HelmRepositorySpec specifies the required configuration to produce an Artifact for a Helm repository index YAML.',
    {
      url: string('URL of the Helm repository, a valid URL contains at least a protocol and host.', { pattern: '^(http|https|oci)://.*$' }),
      secretRef: localReference('SecretRef specifies the Secret containing authentication credentials: username and password fields for basic auth, or a dockerconfigjson for OCI.'),
      certSecretRef: localReference('CertSecretRef can be given the name of a Secret containing TLS client certificates and a CA.'),
      passCredentials: boolean('PassCredentials allows the credentials from the SecretRef to be passed on to a host that does not match the host as defined in URL.'),
      interval: duration('Interval at which the HelmRepository URL is checked for updates.'),
      insecure: boolean('Insecure allows connecting to a non-TLS HTTP container registry (type oci only).'),
      timeout: duration('Timeout is used for the index fetch operation for an HTTPS helm repository.'),
      suspend: boolean('Suspend tells the controller to suspend the reconciliation of this HelmRepository.'),
      accessFrom: open('AccessFrom specifies an Access Control List for allowing cross-namespace references to this object.'),
      type: string('Type of the HelmRepository.', { enum: ['default', 'oci'] }),
      provider,
    },
    ['url'],
  ),
  sourceStatus({}),
);

const ociRepositorySchema = topLevel(
  'OCIRepository is the Schema for the ocirepositories API.',
  object(
    'OCIRepositorySpec defines the desired state of OCIRepository.',
    {
      url: string('URL is a reference to an OCI artifact repository hosted on a remote container registry.', { pattern: '^oci://.*$' }),
      ref: object('The OCI reference to pull and monitor for changes, defaults to the latest tag.', {
        digest: string('Digest is the image digest to pull, takes precedence over SemVer.'),
        semver: string('SemVer is the range of tags to pull selecting the latest within the range, takes precedence over Tag.'),
        semverFilter: string('SemverFilter is a regex pattern to filter the tags within the SemVer range.'),
        tag: string('Tag is the image tag to pull, defaults to latest.'),
      }),
      layerSelector: object('LayerSelector specifies which layer should be extracted from the OCI artifact.', {
        mediaType: string('MediaType specifies the OCI media type of the layer which should be extracted.'),
        operation: string('Operation specifies how the selected layer should be processed.', { enum: ['extract', 'copy'] }),
      }),
      provider,
      secretRef: localReference('SecretRef contains the secret name containing the registry login credentials (a kubernetes.io/dockerconfigjson Secret).'),
      verify: open('Verify contains the secret name containing the trusted public keys used to verify the signature.'),
      serviceAccountName: string('ServiceAccountName is the name of the Kubernetes ServiceAccount used to authenticate to the registry.'),
      certSecretRef: localReference('CertSecretRef can be given the name of a Secret containing TLS client certificates and a CA.'),
      proxySecretRef: localReference('ProxySecretRef specifies the Secret containing the proxy configuration.'),
      interval: duration('Interval at which the OCIRepository URL is checked for updates.'),
      timeout: duration('The timeout for remote OCI Repository operations like pulling.', { default: '60s' }),
      ignore: string('Ignore overrides the set of excluded patterns in the .sourceignore format.'),
      insecure: boolean('Insecure allows connecting to a non-TLS HTTP container registry.'),
      suspend: boolean('This flag tells the controller to suspend the reconciliation of this source.'),
    },
    ['interval', 'url'],
  ),
  sourceStatus({
    observedIgnore: string('ObservedIgnore is the observed exclusion patterns used for constructing the source artifact.'),
    observedLayerSelector: object('ObservedLayerSelector is the observed layer selector used for constructing the source artifact.', {
      mediaType: string('MediaType specifies the OCI media type of the layer.'),
      operation: string('Operation specifies how the selected layer should be processed.', { enum: ['extract', 'copy'] }),
    }),
  }),
);

const crossNamespaceReference = (description: string, kinds: string[]): JsonObject =>
  object(
    description,
    {
      apiVersion: string('APIVersion of the referent.'),
      kind: string('Kind of the referent.', { enum: kinds }),
      name: string('Name of the referent.', { maxLength: 253, minLength: 1 }),
      namespace: string('Namespace of the referent, defaults to the namespace of the HelmRelease.', { maxLength: 63, minLength: 1 }),
    },
    ['kind', 'name'],
  );

const snapshot = object(
  'Snapshot captures a point-in-time copy of the status information for a Helm release.',
  {
    apiVersion: string('APIVersion is the API version of the Snapshot.'),
    appVersion: string('AppVersion is the chart app version of the release object in storage.'),
    chartName: string('ChartName is the chart name of the release object in storage.'),
    chartVersion: string('ChartVersion is the chart version of the release object in storage.'),
    configDigest: string('ConfigDigest is the checksum of the config (better known as "values") of the release object in storage.'),
    deleted: string('Deleted is when the release was deleted.', { format: 'date-time' }),
    digest: string('Digest is the checksum of the release object in storage.'),
    firstDeployed: string('FirstDeployed is when the release was first deployed.', { format: 'date-time' }),
    lastDeployed: string('LastDeployed is when the release was last deployed.', { format: 'date-time' }),
    name: string('Name is the name of the release.'),
    namespace: string('Namespace is the namespace the release is deployed to.'),
    ociDigest: string('OCIDigest is the digest of the OCI artifact associated with the release.'),
    status: string('Status is the current state of the release.'),
    testHooks: open('TestHooks is the list of test hooks for the release as observed to be run by the controller.'),
    version: { type: 'integer', description: 'Version is the version of the release object in storage.' },
  },
  ['chartName', 'chartVersion', 'configDigest', 'digest', 'firstDeployed', 'lastDeployed', 'name', 'namespace', 'status', 'version'],
);

const helmReleaseSchema = topLevel(
  'HelmRelease is the Schema for the helmreleases API.',
  object(
    'HelmReleaseSpec defines the desired state of a Helm release.',
    {
      chart: object(
        'Chart defines the template of the v1.HelmChart that should be created for this HelmRelease.',
        {
          metadata: object('ObjectMeta holds the template for metadata like labels and annotations.', { annotations: stringMap('Annotations.'), labels: stringMap('Labels.') }),
          spec: object(
            'Spec holds the template for the v1.HelmChartSpec for this HelmRelease.',
            {
              chart: string('The name or path the Helm chart is available at in the SourceRef.', { maxLength: 2048, minLength: 1 }),
              version: string('Version semver expression, ignored for charts from GitRepository and Bucket sources. Defaults to latest when omitted.', { default: '*' }),
              sourceRef: crossNamespaceReference('The name and namespace of the v1.Source the chart is available at.', ['HelmRepository', 'GitRepository', 'Bucket']),
              interval: duration('Interval at which to check the v1.Source for updates. Defaults to HelmReleaseSpec.Interval.'),
              reconcileStrategy: string('Determines what enables the creation of a new artifact.', { enum: ['ChartVersion', 'Revision'], default: 'ChartVersion' }),
              valuesFiles: { type: 'array', items: { type: 'string' }, description: 'Alternative list of values files to use as the chart values (values.yaml is not included by default).' },
              ignoreMissingValuesFiles: boolean('IgnoreMissingValuesFiles controls whether to silently ignore missing values files rather than failing.'),
              verify: open('Verify contains the secret name containing the trusted public keys used to verify the signature.'),
            },
            ['chart', 'sourceRef'],
          ),
        },
        ['spec'],
      ),
      chartRef: crossNamespaceReference('ChartRef holds a reference to a source controller resource containing the Helm chart artifact.', ['OCIRepository', 'HelmChart']),
      interval: duration('Interval at which to reconcile the Helm release.'),
      kubeConfig: open('KubeConfig for reconciling the HelmRelease on a remote cluster.'),
      suspend: boolean('Suspend tells the controller to suspend reconciliation for this HelmRelease.'),
      releaseName: string('ReleaseName used for the Helm release. Defaults to a composition of [TargetNamespace-]Name.', { maxLength: 53, minLength: 1 }),
      targetNamespace: string('TargetNamespace to target when performing operations for the HelmRelease. Defaults to the namespace of the HelmRelease.', { maxLength: 63, minLength: 1 }),
      storageNamespace: string('StorageNamespace used for the Helm storage. Defaults to the namespace of the HelmRelease.', { maxLength: 63, minLength: 1 }),
      dependsOn: { type: 'array', description: 'DependsOn may contain a meta.NamespacedObjectReference slice with references to HelmRelease resources that must be ready before this HelmRelease can be reconciled.', items: object('A HelmRelease reference.', { name: string('Name of the referent.'), namespace: string('Namespace of the referent.') }, ['name']) },
      timeout: duration('Timeout is the time to wait for any individual Kubernetes operation during the performance of a Helm action.'),
      maxHistory: { type: 'integer', description: 'MaxHistory is the number of revisions saved by Helm for this HelmRelease (default 5, 0 for no limit).' },
      serviceAccountName: string('The name of the Kubernetes service account to impersonate when reconciling this HelmRelease.', { maxLength: 253, minLength: 1 }),
      persistentClient: boolean('PersistentClient tells the controller to use a persistent Kubernetes client for this release.'),
      driftDetection: open('DriftDetection holds the configuration for detecting and handling differences between the manifest in the Helm storage and the resources currently existing in the cluster.'),
      install: open('Install holds the configuration for Helm install actions for this HelmRelease.'),
      upgrade: open('Upgrade holds the configuration for Helm upgrade actions for this HelmRelease.'),
      test: open('Test holds the configuration for Helm test actions for this HelmRelease.'),
      rollback: open('Rollback holds the configuration for Helm rollback actions for this HelmRelease.'),
      uninstall: open('Uninstall holds the configuration for Helm uninstall actions for this HelmRelease.'),
      valuesFrom: {
        type: 'array',
        description: 'ValuesFrom holds references to resources containing Helm values for this HelmRelease, and information about how they should be merged.',
        items: object(
          'ValuesReference contains a reference to a resource containing Helm values, and optionally the key they can be found at.',
          {
            kind: string('Kind of the values referent.', { enum: ['Secret', 'ConfigMap'] }),
            name: string('Name of the values referent.', { maxLength: 253, minLength: 1 }),
            valuesKey: string('ValuesKey is the data key where the values.yaml or a specific value can be found at. Defaults to values.yaml.', { maxLength: 253 }),
            targetPath: string('TargetPath is the YAML dot notation path the value should be merged at.', { maxLength: 250 }),
            optional: boolean('Optional marks this ValuesReference as optional.'),
          },
          ['kind', 'name'],
        ),
      },
      values: open('Values holds the values for this Helm release.'),
      postRenderers: { type: 'array', description: 'PostRenderers holds an array of Helm PostRenderers, which will be applied in order of their definition.', items: open('PostRenderer contains a Helm PostRenderer specification.') },
      commonMetadata: object('CommonMetadata specifies the common labels and annotations that are applied to all resources.', { annotations: stringMap('Annotations.'), labels: stringMap('Labels.') }),
    },
    ['interval'],
  ),
  object('HelmReleaseStatus defines the observed state of a HelmRelease.', {
    observedGeneration: { type: 'integer', format: 'int64', description: 'ObservedGeneration is the last observed generation.' },
    lastHandledReconcileAt: string('The last manual reconciliation request (by reconcile.fluxcd.io/requestedAt) handled.'),
    observedPostRenderersDigest: string('ObservedPostRenderersDigest is the digest for the post-renderers of the last successful reconciliation attempt.'),
    observedCommonMetadataDigest: string('ObservedCommonMetadataDigest is the digest for the common metadata of the last successful reconciliation attempt.'),
    conditions,
    helmChart: string('HelmChart is the namespaced name of the HelmChart resource created by the controller for the HelmRelease.'),
    storageNamespace: string('StorageNamespace is the namespace of the Helm release storage for the current release.', { maxLength: 63, minLength: 1 }),
    history: { type: 'array', description: 'History holds the history of Helm releases performed for this HelmRelease up to the last successfully completed release.', items: snapshot },
    lastAttemptedReleaseAction: string('LastAttemptedReleaseAction is the last release action performed for this HelmRelease.', { enum: ['install', 'upgrade'] }),
    failures: { type: 'integer', format: 'int64', description: 'Failures is the reconciliation failure count against the latest desired state.' },
    installFailures: { type: 'integer', format: 'int64', description: 'InstallFailures is the install failure count against the latest desired state.' },
    upgradeFailures: { type: 'integer', format: 'int64', description: 'UpgradeFailures is the upgrade failure count against the latest desired state.' },
    lastAttemptedRevision: string('LastAttemptedRevision is the Source revision of the last reconciliation attempt (the chart version).'),
    lastAttemptedRevisionDigest: string('LastAttemptedRevisionDigest is the digest of the last reconciliation attempt (OCIRepository sources only).'),
    lastAttemptedValuesChecksum: string('LastAttemptedValuesChecksum is the SHA1 checksum for the values of the last reconciliation attempt (deprecated).'),
    lastAttemptedGeneration: { type: 'integer', format: 'int64', description: 'LastAttemptedGeneration is the last generation the controller attempted to reconcile.' },
    lastAttemptedConfigDigest: string('LastAttemptedConfigDigest is the digest for the config (better known as "values") of the last reconciliation attempt.'),
    lastReleaseRevision: { type: 'integer', description: 'LastReleaseRevision is the revision of the last successful Helm release (deprecated).' },
  }),
);

interface VersionDefinition {
  name: string;
  storage: boolean;
  deprecated?: boolean;
  schema: JsonObject;
  columns: JsonObject[];
}

function definition(group: string, kind: string, plural: string, shortNames: string[], component: string, versions: VersionDefinition[]): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${plural}.${group}`,
      labels: {
        'app.kubernetes.io/component': component,
        'app.kubernetes.io/instance': 'flux-system',
        'app.kubernetes.io/part-of': 'flux',
        'app.kubernetes.io/version': FLUX_VERSION,
      },
      annotations: { 'controller-gen.kubebuilder.io/version': 'v0.16.1' },
    },
    spec: {
      group,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames },
      scope: 'Namespaced',
      versions: versions.map((v) => ({
        name: v.name,
        served: true,
        storage: v.storage,
        ...(v.deprecated ? { deprecated: true, deprecationWarning: `${group}/${v.name} ${kind} is deprecated, upgrade to v1` } : {}),
        additionalPrinterColumns: v.columns,
        schema: { openAPIV3Schema: v.schema },
        subresources: { status: {} },
      })),
    },
  };
}

const urlColumn = { jsonPath: '.spec.url', name: 'URL', type: 'string' };

export const FLUX_CRDS: readonly KubeObject[] = [
  definition(SOURCE_GROUP, 'HelmRepository', 'helmrepositories', ['helmrepo'], 'source-controller', [
    { name: 'v1', storage: true, schema: helmRepositorySchema, columns: [urlColumn, ageColumn, ...readyColumns] },
  ]),
  definition(SOURCE_GROUP, 'OCIRepository', 'ocirepositories', ['ocirepo'], 'source-controller', [
    { name: 'v1', storage: true, schema: ociRepositorySchema, columns: [urlColumn, ...readyColumns, ageColumn] },
    { name: 'v1beta2', storage: false, deprecated: true, schema: ociRepositorySchema, columns: [urlColumn, ...readyColumns, ageColumn] },
  ]),
  definition(HELM_GROUP, 'HelmRelease', 'helmreleases', ['hr'], 'helm-controller', [{ name: 'v2', storage: true, schema: helmReleaseSchema, columns: [ageColumn, ...readyColumns] }]),
];

/** Marks which definition an installed CRD is, so that a changed one replaces it on the next start. */
const DEFINITION_HASH = 'kube-emulator.palette.local/definition-hash';

/**
 * Installs Flux's CRDs in a cluster, as the platform's agent installs Flux; skipped for
 * the ones the cluster already has in this form.
 */
export function installFlux(cluster: ClusterState): void {
  for (const crd of FLUX_CRDS) {
    const hash = createHash('sha256').update(JSON.stringify(crd)).digest('hex').slice(0, 16);
    const existing = cluster.peek(CRD, undefined, crd.metadata.name ?? '');
    if (existing?.metadata.annotations?.[DEFINITION_HASH] === hash) continue;
    const next = structuredClone(crd);
    next.metadata.annotations = { ...next.metadata.annotations, [DEFINITION_HASH]: hash };
    if (existing) next.metadata = { ...existing.metadata, labels: next.metadata.labels, annotations: { ...existing.metadata.annotations, ...next.metadata.annotations } };
    cluster.controllerWrite(CRD, next, 'flux-install');
  }
}
