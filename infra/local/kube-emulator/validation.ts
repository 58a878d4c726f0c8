/**
 * Defaulting and validation for the Kubernetes API emulator. Covers the rules that
 * client code most often trips over (name formats, labels, required workload fields,
 * immutable fields, Secret encoding); it is not the full kube-apiserver validation.
 */
import { deepEqual, isObject } from './json.ts';
import type { JsonObject, KubeObject } from './json.ts';
import type { NameRule, ResourceType } from './resources.ts';

export interface FieldError {
  field: string;
  message: string;
  reason?: string;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function nameErrors(name: string, rule: NameRule): string | undefined {
  switch (rule) {
    case 'dns1123Label':
      if (name.length > 63 || !DNS1123_LABEL.test(name)) {
        return `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`;
      }
      return undefined;
    case 'dns1035Label':
      if (name.length > 63 || !DNS1035_LABEL.test(name)) {
        return `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`;
      }
      return undefined;
    case 'pathSegment':
      if (name === '.' || name === '..' || name.includes('/') || name.includes('%')) {
        return `may not be '.' or '..' and may not contain '/' or '%'`;
      }
      return undefined;
    case 'dns1123Subdomain':
      if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
        return `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`;
      }
      return undefined;
  }
}

function qualifiedNameErrors(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return 'prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character';
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  }
  return undefined;
}

function validateMetadata(object: KubeObject, errors: FieldError[]): void {
  const labels = object.metadata.labels;
  if (labels !== undefined) {
    if (!isObject(labels)) errors.push({ field: 'metadata.labels', message: 'Invalid value: must be a map of strings' });
    else
      for (const [key, value] of Object.entries(labels)) {
        const keyError = qualifiedNameErrors(key);
        if (keyError) errors.push({ field: 'metadata.labels', message: `Invalid value: "${key}": ${keyError}` });
        if (typeof value !== 'string') {
          errors.push({ field: `metadata.labels.${key}`, message: 'Invalid value: label values must be strings', reason: 'FieldValueTypeInvalid' });
        } else if (value.length > 63 || !LABEL_VALUE.test(value)) {
          errors.push({
            field: 'metadata.labels',
            message: `Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
          });
        }
      }
  }
  const annotations = object.metadata.annotations;
  if (annotations !== undefined) {
    if (!isObject(annotations)) errors.push({ field: 'metadata.annotations', message: 'Invalid value: must be a map of strings' });
    else
      for (const [key, value] of Object.entries(annotations)) {
        const keyError = qualifiedNameErrors(key);
        if (keyError) errors.push({ field: 'metadata.annotations', message: `Invalid value: "${key}": ${keyError}` });
        if (typeof value !== 'string') {
          errors.push({ field: `metadata.annotations.${key}`, message: 'Invalid value: annotation values must be strings', reason: 'FieldValueTypeInvalid' });
        }
      }
  }
}

const required = (field: string): FieldError => ({ field, message: 'Required value', reason: 'FieldValueRequired' });

function validatePodSpec(spec: unknown, field: string, errors: FieldError[]): void {
  if (!isObject(spec)) {
    errors.push(required(field));
    return;
  }
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    errors.push(required(`${field}.containers`));
    return;
  }
  const seen = new Set<string>();
  containers.forEach((container, index) => {
    const path = `${field}.containers[${index}]`;
    if (!isObject(container)) {
      errors.push(required(path));
      return;
    }
    if (typeof container.name !== 'string' || container.name === '') errors.push(required(`${path}.name`));
    else if (!DNS1123_LABEL.test(container.name)) {
      errors.push({ field: `${path}.name`, message: `Invalid value: "${container.name}": ${nameErrors(container.name, 'dns1123Label') ?? ''}` });
    } else if (seen.has(container.name)) {
      errors.push({ field: `${path}.name`, message: `Duplicate value: "${container.name}"`, reason: 'FieldValueDuplicate' });
    } else seen.add(container.name);
    if (typeof container.image !== 'string' || container.image === '') errors.push(required(`${path}.image`));
  });
}

function validateWorkload(object: KubeObject, errors: FieldError[]): void {
  const spec = isObject(object.spec) ? object.spec : undefined;
  if (!spec) {
    errors.push(required('spec'));
    return;
  }
  if (spec.replicas !== undefined && (typeof spec.replicas !== 'number' || spec.replicas < 0 || !Number.isInteger(spec.replicas))) {
    errors.push({ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(spec.replicas)}: must be greater than or equal to 0` });
  }
  const selector = isObject(spec.selector) ? spec.selector : undefined;
  const template = isObject(spec.template) ? spec.template : undefined;
  const templateLabels = isObject(template?.metadata) && isObject(template.metadata.labels) ? template.metadata.labels : {};
  const matchLabels = isObject(selector?.matchLabels) ? selector.matchLabels : {};
  const hasExpressions = Array.isArray(selector?.matchExpressions) && selector.matchExpressions.length > 0;
  if (!selector || (Object.keys(matchLabels).length === 0 && !hasExpressions)) {
    errors.push(required('spec.selector'));
  } else if (!Object.entries(matchLabels).every(([key, value]) => templateLabels[key] === value)) {
    errors.push({
      field: 'spec.template.metadata.labels',
      message: `Invalid value: ${JSON.stringify(templateLabels)}: \`selector\` does not match template \`labels\``,
    });
  }
  validatePodSpec(template?.spec, 'spec.template.spec', errors);
}

function validateService(object: KubeObject, errors: FieldError[]): void {
  const spec = isObject(object.spec) ? object.spec : {};
  const type = spec.type ?? 'ClusterIP';
  if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(String(type))) {
    errors.push({ field: 'spec.type', message: `Unsupported value: "${String(type)}": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`, reason: 'FieldValueNotSupported' });
  }
  const ports = Array.isArray(spec.ports) ? spec.ports : [];
  if (ports.length === 0 && type !== 'ExternalName' && spec.clusterIP !== 'None') errors.push(required('spec.ports'));
  ports.forEach((port, index) => {
    if (!isObject(port) || typeof port.port !== 'number' || port.port < 1 || port.port > 65535) {
      errors.push({ field: `spec.ports[${index}].port`, message: 'Invalid value: must be between 1 and 65535, inclusive' });
    }
    if (ports.length > 1 && (!isObject(port) || typeof port.name !== 'string' || port.name === '')) {
      errors.push(required(`spec.ports[${index}].name`));
    }
  });
}

function validateData(object: KubeObject, errors: FieldError[]): void {
  for (const field of ['data', 'binaryData', 'stringData'] as const) {
    const value = object[field];
    if (value === undefined) continue;
    if (!isObject(value)) {
      errors.push({ field, message: 'Invalid value: must be a map', reason: 'FieldValueTypeInvalid' });
      continue;
    }
    for (const [key, entry] of Object.entries(value)) {
      if (!CONFIG_MAP_KEY.test(key) || key.length > 253) {
        errors.push({ field: `${field}[${key}]`, message: `Invalid value: "${key}": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')` });
      }
      if (typeof entry !== 'string') {
        errors.push({ field: `${field}[${key}]`, message: 'Invalid value: must be a string', reason: 'FieldValueTypeInvalid' });
      } else if ((field === 'binaryData' || (object.kind === 'Secret' && field === 'data')) && !BASE64.test(entry)) {
        errors.push({ field: `${field}[${key}]`, message: 'Invalid value: illegal base64 data', reason: 'FieldValueTypeInvalid' });
      }
    }
  }
}

function validateCustomResourceDefinition(object: KubeObject, errors: FieldError[]): void {
  const spec = isObject(object.spec) ? object.spec : {};
  const names = isObject(spec.names) ? spec.names : {};
  const group = typeof spec.group === 'string' ? spec.group : '';
  if (!group) errors.push(required('spec.group'));
  else if (!group.includes('.')) errors.push({ field: 'spec.group', message: `Invalid value: "${group}": should be a domain with at least one dot` });
  if (typeof names.plural !== 'string' || names.plural === '') errors.push(required('spec.names.plural'));
  if (typeof names.kind !== 'string' || names.kind === '') errors.push(required('spec.names.kind'));
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    errors.push({ field: 'spec.scope', message: `Unsupported value: "${String(spec.scope ?? '')}": supported values: "Cluster", "Namespaced"`, reason: 'FieldValueNotSupported' });
  }
  const expectedName = `${String(names.plural ?? '')}.${group}`;
  if (object.metadata.name && object.metadata.name !== expectedName) {
    errors.push({ field: 'metadata.name', message: `Invalid value: "${object.metadata.name}": must be spec.names.plural+"."+spec.group` });
  }
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
  if (versions.length === 0) errors.push(required('spec.versions'));
  else if (versions.filter((v) => v.storage === true).length !== 1) {
    errors.push({ field: 'spec.versions', message: 'Invalid value: must have exactly one version marked as storage version' });
  }
  versions.forEach((version, index) => {
    const schema = isObject(version.schema) ? version.schema.openAPIV3Schema : undefined;
    if (!isObject(schema)) errors.push(required(`spec.versions[${index}].schema.openAPIV3Schema`));
    else if (schema.type !== 'object') {
      errors.push({ field: `spec.versions[${index}].schema.openAPIV3Schema.type`, message: 'Unsupported value: must be object at the root', reason: 'FieldValueNotSupported' });
    }
  });
}

/** Validation applied to every write (create and update). */
export function validate(type: ResourceType, object: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const name = object.metadata.name;
  if (!name) errors.push({ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' });
  else {
    const problem = nameErrors(name, type.nameRule);
    if (problem) errors.push({ field: 'metadata.name', message: `Invalid value: "${name}": ${problem}` });
  }
  validateMetadata(object, errors);
  switch (type.kind) {
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
      validateWorkload(object, errors);
      break;
    case 'CustomResourceDefinition':
      validateCustomResourceDefinition(object, errors);
      break;
    case 'Pod':
      validatePodSpec(object.spec, 'spec', errors);
      break;
    case 'Service':
      validateService(object, errors);
      break;
    case 'ConfigMap':
    case 'Secret':
      validateData(object, errors);
      break;
    case 'RoleBinding':
    case 'ClusterRoleBinding': {
      const roleRef = isObject(object.roleRef) ? object.roleRef : undefined;
      if (!roleRef) errors.push(required('roleRef'));
      else {
        if (!roleRef.kind) errors.push(required('roleRef.kind'));
        if (!roleRef.name) errors.push(required('roleRef.name'));
      }
      break;
    }
    case 'PersistentVolumeClaim': {
      const spec = isObject(object.spec) ? object.spec : {};
      if (!Array.isArray(spec.accessModes) || spec.accessModes.length === 0) errors.push(required('spec.accessModes'));
      const requests = isObject(spec.resources) && isObject(spec.resources.requests) ? spec.resources.requests : {};
      if (requests.storage === undefined) errors.push(required('spec.resources[storage]'));
      break;
    }
    default:
      break;
  }
  return errors;
}

const immutable = (field: string, value: unknown): FieldError => ({
  field,
  message: `Invalid value: ${JSON.stringify(value)}: field is immutable`,
});

/** Extra validation applied to updates (immutable fields). */
export function validateUpdate(type: ResourceType, previous: KubeObject, next: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const prevSpec = isObject(previous.spec) ? previous.spec : {};
  const nextSpec = isObject(next.spec) ? next.spec : {};
  switch (type.kind) {
    case 'CustomResourceDefinition':
      for (const field of ['group', 'scope'] as const) {
        if (!deepEqual(prevSpec[field], nextSpec[field])) errors.push(immutable(`spec.${field}`, nextSpec[field]));
      }
      break;
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
      if (!deepEqual(prevSpec.selector, nextSpec.selector)) errors.push(immutable('spec.selector', nextSpec.selector));
      if (type.kind === 'StatefulSet') {
        const allowed = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];
        const strip = (spec: JsonObject): JsonObject =>
          Object.fromEntries(Object.entries(spec).filter(([key]) => !allowed.includes(key)));
        if (!deepEqual(strip(prevSpec), strip(nextSpec))) {
          errors.push({
            field: 'spec',
            message:
              "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            reason: 'FieldValueForbidden',
          });
        }
      }
      break;
    case 'ConfigMap':
    case 'Secret':
      if (previous.immutable === true) {
        if (!deepEqual(previous.data, next.data) || !deepEqual(previous.binaryData, next.binaryData)) {
          errors.push({ field: 'data', message: 'Forbidden: field is immutable when `immutable` is set', reason: 'FieldValueForbidden' });
        }
        if (next.immutable !== true) errors.push({ field: 'immutable', message: 'Forbidden: field is immutable when `immutable` is set', reason: 'FieldValueForbidden' });
      }
      if (type.kind === 'Secret' && previous.type !== next.type) errors.push(immutable('type', next.type));
      break;
    case 'Service':
      if (prevSpec.clusterIP && nextSpec.clusterIP !== prevSpec.clusterIP && nextSpec.type !== 'ExternalName') {
        errors.push(immutable('spec.clusterIP', nextSpec.clusterIP));
      }
      break;
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      if (!deepEqual(previous.roleRef, next.roleRef)) {
        errors.push({ field: 'roleRef', message: `Invalid value: ${JSON.stringify(next.roleRef)}: cannot change roleRef` });
      }
      break;
    case 'PersistentVolumeClaim': {
      const strip = (spec: JsonObject): JsonObject => {
        const { resources: _resources, volumeName: _volumeName, ...rest } = spec;
        return rest;
      };
      if (!deepEqual(strip(prevSpec), strip(nextSpec))) {
        errors.push({ field: 'spec', message: 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims', reason: 'FieldValueForbidden' });
      }
      break;
    }
    default:
      break;
  }
  return errors;
}

export interface DefaultingContext {
  /** Returns an unused Service cluster IP. */
  allocateClusterIp(): string;
}

function defaultPodSpec(spec: unknown): void {
  if (!isObject(spec)) return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  if (Array.isArray(spec.containers)) {
    for (const container of spec.containers) {
      if (!isObject(container)) continue;
      container.terminationMessagePath ??= '/dev/termination-log';
      container.terminationMessagePolicy ??= 'File';
      container.resources ??= {};
      if (container.imagePullPolicy === undefined && typeof container.image === 'string') {
        container.imagePullPolicy = /:latest$|^[^:]+$/.test(container.image.split('/').pop() ?? '') ? 'Always' : 'IfNotPresent';
      }
      if (Array.isArray(container.ports)) for (const port of container.ports) if (isObject(port)) port.protocol ??= 'TCP';
    }
  }
}

/** A pod's containers that state limits but no requests request their limits (SetDefaults_Pod). */
function defaultRequestsToLimits(spec: unknown): void {
  if (!isObject(spec)) return;
  for (const field of ['containers', 'initContainers']) {
    for (const container of Array.isArray(spec[field]) ? (spec[field] as unknown[]).filter(isObject) : []) {
      const resources = isObject(container.resources) ? container.resources : undefined;
      if (!resources || !isObject(resources.limits)) continue;
      const requests = isObject(resources.requests) ? resources.requests : {};
      for (const [key, value] of Object.entries(resources.limits)) requests[key] ??= value;
      if (Object.keys(requests).length > 0) resources.requests = requests;
    }
  }
}

/**
 * A LimitRange item with the defaults the API server stores (SetDefaults_LimitRangeItem):
 * for containers, a missing `default` is the `max`, and a missing `defaultRequest` the
 * `default`, else the `min`.
 */
export function limitRangeItemDefaults(item: JsonObject): JsonObject {
  if (item.type !== 'Container') return item;
  const max = isObject(item.max) ? item.max : {};
  const min = isObject(item.min) ? item.min : {};
  const defaults = { ...max, ...(isObject(item.default) ? item.default : {}) };
  const defaultRequest = { ...min, ...defaults, ...(isObject(item.defaultRequest) ? item.defaultRequest : {}) };
  return {
    ...item,
    ...(Object.keys(defaults).length > 0 ? { default: defaults } : {}),
    ...(Object.keys(defaultRequest).length > 0 ? { defaultRequest } : {}),
  };
}

/**
 * Server-side defaulting (a subset of what kube-apiserver sets). `previous` is the
 * stored object on updates; some defaults (Service clusterIP) are carried over from it.
 */
export function applyDefaults(
  type: ResourceType,
  object: KubeObject,
  previous: KubeObject | undefined,
  context: DefaultingContext,
): void {
  switch (type.kind) {
    case 'Namespace': {
      const name = object.metadata.name;
      if (name) object.metadata.labels = { ...object.metadata.labels, 'kubernetes.io/metadata.name': name };
      const spec = isObject(object.spec) ? object.spec : {};
      spec.finalizers ??= ['kubernetes'];
      object.spec = spec;
      break;
    }
    case 'Secret':
      object.type ??= 'Opaque';
      if (isObject(object.stringData)) {
        const data = isObject(object.data) ? { ...object.data } : {};
        for (const [key, value] of Object.entries(object.stringData)) {
          data[key] = Buffer.from(String(value), 'utf8').toString('base64');
        }
        object.data = data;
      }
      delete object.stringData;
      break;
    case 'Service': {
      const spec = isObject(object.spec) ? object.spec : {};
      object.spec = spec;
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      if (spec.type !== 'ExternalName') {
        const previousIp = isObject(previous?.spec) ? previous.spec.clusterIP : undefined;
        if (!spec.clusterIP) spec.clusterIP = typeof previousIp === 'string' && previousIp ? previousIp : context.allocateClusterIp();
        spec.clusterIPs ??= [spec.clusterIP];
        if (!Array.isArray(spec.clusterIPs) || spec.clusterIPs[0] !== spec.clusterIP) spec.clusterIPs = [spec.clusterIP];
        spec.ipFamilies ??= ['IPv4'];
        spec.ipFamilyPolicy ??= 'SingleStack';
        spec.internalTrafficPolicy ??= 'Cluster';
      }
      if (Array.isArray(spec.ports)) {
        spec.ports.forEach((port, index) => {
          if (!isObject(port)) return;
          port.protocol ??= 'TCP';
          port.targetPort ??= port.port;
          if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && port.nodePort === undefined) {
            const previousPorts = isObject(previous?.spec) && Array.isArray(previous.spec.ports) ? previous.spec.ports : [];
            const previousPort = previousPorts[index];
            port.nodePort = isObject(previousPort) && typeof previousPort.nodePort === 'number' ? previousPort.nodePort : 30000 + Math.floor(Math.random() * 2768);
          }
        });
      }
      break;
    }
    case 'Deployment': {
      const spec = isObject(object.spec) ? object.spec : {};
      object.spec = spec;
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
      if (isObject(spec.template)) defaultPodSpec(spec.template.spec);
      break;
    }
    case 'ReplicaSet': {
      const spec = isObject(object.spec) ? object.spec : {};
      object.spec = spec;
      spec.replicas ??= 1;
      if (isObject(spec.template)) defaultPodSpec(spec.template.spec);
      break;
    }
    case 'CustomResourceDefinition': {
      const spec = isObject(object.spec) ? object.spec : {};
      object.spec = spec;
      const names = isObject(spec.names) ? spec.names : {};
      if (typeof names.kind === 'string') {
        names.singular ??= names.kind.toLowerCase();
        names.listKind ??= `${names.kind}List`;
      }
      spec.conversion ??= { strategy: 'None' };
      break;
    }
    case 'StatefulSet': {
      const spec = isObject(object.spec) ? object.spec : {};
      object.spec = spec;
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.podManagementPolicy ??= 'OrderedReady';
      spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
      spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
      if (isObject(spec.template)) defaultPodSpec(spec.template.spec);
      break;
    }
    case 'Pod':
      defaultPodSpec(object.spec);
      defaultRequestsToLimits(object.spec);
      break;
    case 'LimitRange': {
      const spec = isObject(object.spec) ? object.spec : {};
      if (Array.isArray(spec.limits)) spec.limits = spec.limits.map((item) => (isObject(item) ? limitRangeItemDefaults(item) : item));
      break;
    }
    case 'PersistentVolumeClaim': {
      const spec = isObject(object.spec) ? object.spec : {};
      object.spec = spec;
      spec.volumeMode ??= 'Filesystem';
      break;
    }
    case 'NetworkPolicy': {
      const spec = isObject(object.spec) ? object.spec : {};
      object.spec = spec;
      if (spec.policyTypes === undefined) {
        spec.policyTypes = Array.isArray(spec.egress) && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
      }
      break;
    }
    default:
      break;
  }
}
