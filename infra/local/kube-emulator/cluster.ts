/**
 * One emulated Kubernetes cluster inside the Kubernetes API emulator: its object store,
 * resourceVersion counter, watch event history, the kinds it serves, and the API
 * operations (create, get, list, update, patch, server-side apply, delete) with
 * kube-apiserver semantics.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { admitMutating, admitValidating } from './admission.ts';
import type { UserInfo } from './auth.ts';
import { ApiError, errors, successStatus } from './errors.ts';
import { applyConfiguration, ApplyConflictError, atomicLists, builtinListTypes, recordUpdate } from './field-manager.ts';
import type { ListTypes } from './field-manager.ts';
import { clone, deepEqual, isObject, kubeTimestamp, pruneNulls } from './json.ts';
import type { JsonObject, KubeObject, ManagedFieldsEntry, ObjectMeta } from './json.ts';
import { applyJsonPatch, jsonMergePatch, JsonPatchError, strategicMergePatch } from './patch.ts';
import { authorizeCreateOnPatch } from './rbac.ts';
import { builtinOfKind, ResourceRegistry, storageKey } from './resources.ts';
import type { ResourceType } from './resources.ts';
import type { Schemas } from './schema.ts';
import { validateObject } from './schema.ts';
import { matchesFields, matchesLabels } from './selectors.ts';
import type { FieldSelector, LabelSelector } from './selectors.ts';
import { applyDefaults, validate, validateUpdate } from './validation.ts';
import type { FieldError } from './validation.ts';

/** Where a virtual cluster's control plane runs: a StatefulSet on a host cluster. */
export interface VirtualClusterOrigin {
  host: string;
  namespace: string;
  name: string;
}

export interface ClusterSnapshot {
  format: 1;
  name: string;
  token: string;
  kubernetesVersion: string;
  createdAt: string;
  resourceVersion: number;
  /** The port its API server listened on, reused after a restart when free. */
  port?: number;
  virtual?: VirtualClusterOrigin;
  objects: KubeObject[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  resourceVersion: number;
  resource: ResourceType;
  object: KubeObject;
  previous?: KubeObject;
}

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** Used to derive the default field manager, as kube-apiserver does from User-Agent. */
  userAgent?: string;
  subresource?: string;
  fieldValidation?: FieldValidation;
  /** Collects the warnings a real server sends in `Warning` headers. */
  warnings?: string[];
  /** Who writes: the RBAC escalation checks need it (admission runs without it too). */
  user?: UserInfo;
}

export interface PatchOptions extends WriteOptions {
  force?: boolean;
}

export interface DeleteOptions {
  dryRun?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListOptions {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  limit?: number;
  continueToken?: string;
}

export interface WriteResult {
  object: KubeObject;
  created: boolean;
}

export interface DeleteResult {
  /** Status for immediate deletion; the object itself when deletion is pending on finalizers. */
  body: JsonObject;
  code: number;
}

/** Hooks the cluster calls into; implemented by the controllers and the emulator server. */
export interface ClusterHooks {
  onEvent(cluster: ClusterState, event: StoreEvent): void;
  /** Runs queued controller work; called at the end of every API operation. */
  drain(cluster: ClusterState): void;
  onChange(cluster: ClusterState): void;
}

const EVENT_HISTORY = 2000;
const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);
const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const NAMESPACE = builtinOfKind('Namespace');

export function randomSuffix(length = 5): string {
  const bytes = randomBytes(length);
  return [...bytes].map((b) => NAME_SUFFIX_ALPHABET[b % NAME_SUFFIX_ALPHABET.length]).join('');
}

/** Key of an object within its type's map. */
function objectKey(type: ResourceType, namespace: string | undefined, name: string): string {
  return `${type.namespaced ? (namespace ?? '') : ''}|${name}`;
}

/** Objects stored per resource (all versions of a resource share one bucket), keyed by `namespace|name`. */
class ObjectStore {
  private readonly byType = new Map<string, Map<string, KubeObject>>();

  private bucket(type: ResourceType): Map<string, KubeObject> {
    let bucket = this.byType.get(storageKey(type));
    if (!bucket) {
      bucket = new Map();
      this.byType.set(storageKey(type), bucket);
    }
    return bucket;
  }

  get(type: ResourceType, key: string): KubeObject | undefined {
    return this.byType.get(storageKey(type))?.get(key);
  }

  set(type: ResourceType, key: string, object: KubeObject): void {
    this.bucket(type).set(key, object);
  }

  delete(type: ResourceType, key: string): void {
    this.byType.get(storageKey(type))?.delete(key);
  }

  ofType(type: ResourceType): IterableIterator<KubeObject> {
    return this.bucket(type).values();
  }

  *all(): IterableIterator<KubeObject> {
    for (const bucket of this.byType.values()) yield* bucket.values();
  }
}

function sortKey(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
}

/** Everything except metadata and status: what `metadata.generation` tracks. */
function specPart(object: KubeObject): JsonObject {
  const { metadata: _metadata, status: _status, apiVersion: _apiVersion, kind: _kind, ...rest } = object;
  return rest;
}

function withoutManagedFieldTimes(object: KubeObject): KubeObject {
  const managedFields = object.metadata.managedFields;
  if (!managedFields) return object;
  return { ...object, metadata: { ...object.metadata, managedFields: managedFields.map((entry) => ({ ...entry, time: '' })) } };
}

/** Custom resources' lists merge as a whole: their CRDs' list-type extensions are not read. */
const listTypesOf = (type: ResourceType): ListTypes => (type.custom ? atomicLists : builtinListTypes);

function defaultFieldManager(options: WriteOptions): string {
  if (options.fieldManager) return options.fieldManager;
  const agent = options.userAgent?.split('/')[0]?.trim();
  return agent ? agent : 'unknown';
}

/** managedFields a client sent, when well-formed: a real server takes them as the new ownership. */
function requestedManagedFields(value: unknown): ManagedFieldsEntry[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const valid = value.every(
    (entry) => isObject(entry) && typeof entry.manager === 'string' && (entry.operation === 'Apply' || entry.operation === 'Update') && (entry.fieldsV1 === undefined || isObject(entry.fieldsV1)),
  );
  return valid ? (value as ManagedFieldsEntry[]) : undefined;
}

export interface ClusterEnvironment {
  hooks: ClusterHooks;
  schemas: Schemas;
}

export class ClusterState {
  readonly name: string;
  readonly token: string;
  readonly kubernetesVersion: string;
  readonly createdAt: string;
  readonly virtual: VirtualClusterOrigin | undefined;
  readonly types = new ResourceRegistry();
  port: number | undefined;
  private resourceVersion: number;
  private readonly objects = new ObjectStore();
  private readonly history: StoreEvent[] = [];
  private readonly watchers = new Set<(event: StoreEvent) => void>();
  private readonly hooks: ClusterHooks;
  readonly schemas: Schemas;
  /** Oldest resourceVersion a watch can resume from. */
  private historyStart: number;
  private usedClusterIps = new Set<string>();
  deleted = false;

  constructor(snapshot: ClusterSnapshot, environment: ClusterEnvironment, registerTypes: (cluster: ClusterState, crd: KubeObject) => void) {
    this.name = snapshot.name;
    this.token = snapshot.token;
    this.kubernetesVersion = snapshot.kubernetesVersion;
    this.createdAt = snapshot.createdAt;
    this.resourceVersion = snapshot.resourceVersion;
    this.historyStart = snapshot.resourceVersion;
    this.port = snapshot.port;
    this.virtual = snapshot.virtual;
    this.hooks = environment.hooks;
    this.schemas = environment.schemas;
    // Definitions first, so that the custom resources they define find their kind.
    const isCrd = (object: KubeObject): boolean => object.kind === 'CustomResourceDefinition';
    for (const object of [...snapshot.objects.filter(isCrd), ...snapshot.objects.filter((o) => !isCrd(o))]) {
      const type = this.types.storedTypeOf(object.apiVersion, object.kind);
      if (!type || !object.metadata.name) continue;
      this.objects.set(type, objectKey(type, object.metadata.namespace, object.metadata.name), object);
      this.trackClusterIp(object);
      if (isCrd(object)) registerTypes(this, object);
    }
  }

  snapshot(): ClusterSnapshot {
    return {
      format: 1,
      name: this.name,
      token: this.token,
      kubernetesVersion: this.kubernetesVersion,
      createdAt: this.createdAt,
      resourceVersion: this.resourceVersion,
      ...(this.port !== undefined ? { port: this.port } : {}),
      ...(this.virtual ? { virtual: this.virtual } : {}),
      objects: [...this.objects.all()].sort((a, b) => (a.kind + sortKey(a)).localeCompare(b.kind + sortKey(b))),
    };
  }

  currentResourceVersion(): string {
    return String(this.resourceVersion);
  }

  // -------------------------------------------------------------------------
  // Low-level store access (controllers use these directly)
  // -------------------------------------------------------------------------

  /** The stored object (do not mutate). */
  peek(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(type, objectKey(type, namespace, name));
  }

  /** Stored objects of a type, optionally within a namespace, sorted by namespace/name (do not mutate). */
  peekAll(type: ResourceType, namespace?: string): KubeObject[] {
    const filterNamespace = namespace !== undefined && type.namespaced;
    const out: KubeObject[] = [];
    for (const object of this.objects.ofType(type)) {
      if (!filterNamespace || object.metadata.namespace === namespace) out.push(object);
    }
    return out.sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
  }

  /** Like peekAll, unsorted: for controllers, which do not care about order. */
  scan(type: ResourceType, namespace?: string): KubeObject[] {
    const filterNamespace = namespace !== undefined && type.namespaced;
    const out: KubeObject[] = [];
    for (const object of this.objects.ofType(type)) {
      if (!filterNamespace || object.metadata.namespace === namespace) out.push(object);
    }
    return out;
  }

  allObjects(): KubeObject[] {
    return [...this.objects.all()];
  }

  private trackClusterIp(object: KubeObject): void {
    if (object.kind !== 'Service' || !isObject(object.spec)) return;
    const ip = object.spec.clusterIP;
    if (typeof ip === 'string' && ip !== 'None') this.usedClusterIps.add(ip);
  }

  allocateClusterIp(): string {
    for (let n = 10; n < 250 * 250; n++) {
      const ip = `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
      if (!this.usedClusterIps.has(ip)) {
        this.usedClusterIps.add(ip);
        return ip;
      }
    }
    throw errors.internal('service cluster IP range exhausted');
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > EVENT_HISTORY) {
      const dropped = this.history.shift();
      if (dropped) this.historyStart = dropped.resourceVersion;
    }
    this.hooks.onEvent(this, event);
    for (const watcher of this.watchers) watcher(event);
    this.hooks.onChange(this);
  }

  /** Stores `object` with a new resourceVersion and emits ADDED/MODIFIED. */
  commit(type: ResourceType, object: KubeObject, previous: KubeObject | undefined): KubeObject {
    const stored = clone(object);
    this.resourceVersion++;
    stored.metadata.resourceVersion = String(this.resourceVersion);
    this.objects.set(type, objectKey(type, stored.metadata.namespace, stored.metadata.name ?? ''), stored);
    this.trackClusterIp(stored);
    this.emit({ type: previous ? 'MODIFIED' : 'ADDED', resourceVersion: this.resourceVersion, resource: type, object: stored, ...(previous ? { previous } : {}) });
    return clone(stored);
  }

  /** Removes `object` and emits DELETED. */
  commitDelete(type: ResourceType, object: KubeObject): KubeObject {
    const key = objectKey(type, object.metadata.namespace, object.metadata.name ?? '');
    const previous = this.objects.get(type, key);
    if (!previous) return clone(object);
    this.objects.delete(type, key);
    if (previous.kind === 'Service' && isObject(previous.spec) && typeof previous.spec.clusterIP === 'string') {
      this.usedClusterIps.delete(previous.spec.clusterIP);
    }
    this.resourceVersion++;
    const final = clone(previous);
    final.metadata.resourceVersion = String(this.resourceVersion);
    this.emit({ type: 'DELETED', resourceVersion: this.resourceVersion, resource: type, object: final, previous });
    return clone(final);
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  /** Events after `resourceVersion`, or undefined when that version is older than the retained history. */
  eventsSince(resourceVersion: number): StoreEvent[] | undefined {
    if (resourceVersion < this.historyStart) return undefined;
    return this.history.filter((event) => event.resourceVersion > resourceVersion);
  }

  /** Internal write used by controllers: defaulting, generation and managedFields, no validation. */
  controllerWrite(type: ResourceType, object: KubeObject, manager: string, subresource?: string): KubeObject | undefined {
    const name = object.metadata.name ?? '';
    const previous = this.peek(type, object.metadata.namespace, name);
    const next = clone(object);
    if (previous) {
      next.metadata = { ...next.metadata, uid: previous.metadata.uid, creationTimestamp: previous.metadata.creationTimestamp };
      if (previous.metadata.managedFields) next.metadata.managedFields = clone(previous.metadata.managedFields);
      if (type.hasGeneration) {
        next.metadata.generation = deepEqual(specPart(previous), specPart(next))
          ? previous.metadata.generation ?? 1
          : (previous.metadata.generation ?? 0) + 1;
      }
    } else {
      next.metadata.uid ??= randomUUID();
      next.metadata.creationTimestamp ??= kubeTimestamp();
      if (type.hasGeneration) next.metadata.generation = 1;
    }
    applyDefaults(type, next, previous, this);
    delete next.metadata.resourceVersion;
    const comparable = previous ? { ...previous, metadata: { ...previous.metadata, resourceVersion: undefined } } : undefined;
    recordUpdate(previous, next, manager, subresource, listTypesOf(type));
    if (comparable && deepEqual(withoutManagedFieldTimes(comparable), withoutManagedFieldTimes(next))) return undefined;
    return this.commit(type, next, previous);
  }

  /**
   * A new object from a controller (the pods and claims a workload controller creates, the
   * pods the vcluster syncer mirrors), admitted as a create through the API is: LimitRange
   * defaults, then LimitRange and quota checks, whose 403 is thrown for the caller to record.
   */
  controllerCreate(type: ResourceType, object: KubeObject, manager: string): KubeObject | undefined {
    const next = clone(object);
    applyDefaults(type, next, undefined, this);
    const admission = { operation: 'create' as const, type, object: next };
    admitMutating(this, admission);
    admitValidating(this, admission);
    return this.controllerWrite(type, next, manager);
  }

  // -------------------------------------------------------------------------
  // API operations
  // -------------------------------------------------------------------------

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.peek(type, namespace, name);
    if (!found) throw errors.notFound(type, name);
    return this.asVersion(type, clone(found));
  }

  /** Objects of a custom resource are stored in one version and served in all. */
  private asVersion(type: ResourceType, object: KubeObject): KubeObject {
    if (object.apiVersion !== type.apiVersion) object.apiVersion = type.apiVersion;
    return object;
  }

  list(type: ResourceType, namespace: string | undefined, options: ListOptions): JsonObject {
    let items = this.peekAll(type, namespace).filter(
      (object) =>
        matchesLabels(options.labelSelector ?? [], object.metadata.labels) &&
        matchesFields(options.fieldSelector ?? [], object),
    );
    let continueFrom: string | undefined;
    if (options.continueToken) {
      try {
        const decoded = JSON.parse(Buffer.from(options.continueToken, 'base64url').toString('utf8')) as { start?: unknown };
        if (typeof decoded.start !== 'string') throw new Error('bad token');
        continueFrom = decoded.start;
      } catch {
        throw errors.badRequest('continue key is not valid: invalid continue token');
      }
      const start = continueFrom;
      items = items.filter((object) => sortKey(object) > start);
    }
    const metadata: JsonObject = { resourceVersion: this.currentResourceVersion() };
    if (options.limit !== undefined && options.limit > 0 && items.length > options.limit) {
      const remaining = items.length - options.limit;
      items = items.slice(0, options.limit);
      const last = items[items.length - 1];
      if (last) {
        metadata.continue = Buffer.from(JSON.stringify({ v: 1, rv: this.resourceVersion, start: sortKey(last) })).toString('base64url');
        metadata.remainingItemCount = remaining;
      }
    }
    return {
      kind: type.listKind,
      apiVersion: type.apiVersion,
      metadata,
      // Like kube-apiserver's JSON lists, items carry no apiVersion/kind.
      items: items.map((object) => {
        const { apiVersion: _apiVersion, kind: _kind, ...rest } = clone(object);
        return rest;
      }),
    };
  }

  private checkTypeMeta(type: ResourceType, body: JsonObject, requireTypeMeta: boolean): void {
    const apiVersion = body.apiVersion;
    const kind = body.kind;
    if (requireTypeMeta && (typeof apiVersion !== 'string' || apiVersion === '')) {
      throw errors.badRequest(`error decoding from json: apiVersion must be set`);
    }
    if (requireTypeMeta && (typeof kind !== 'string' || kind === '')) {
      throw errors.badRequest(`error decoding from json: kind must be set`);
    }
    if (apiVersion !== undefined && apiVersion !== type.apiVersion) {
      throw errors.badRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${type.apiVersion})`);
    }
    if (kind !== undefined && kind !== type.kind) {
      throw errors.badRequest(`the kind in the data (${String(kind)}) does not match the expected kind (${type.kind})`);
    }
  }

  private namespaceFor(type: ResourceType, urlNamespace: string | undefined, body: JsonObject): string | undefined {
    if (!type.namespaced) return undefined;
    const metadata = isObject(body.metadata) ? body.metadata : {};
    if (metadata.namespace !== undefined && metadata.namespace !== '' && metadata.namespace !== urlNamespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    return urlNamespace;
  }

  private ensureNamespaceWritable(type: ResourceType, namespace: string | undefined): void {
    if (!type.namespaced || namespace === undefined) return;
    const ns = this.peek(NAMESPACE, undefined, namespace);
    if (!ns) throw errors.notFound(NAMESPACE, namespace);
    if (ns.metadata.deletionTimestamp) {
      throw new ApiError(
        403,
        'Forbidden',
        `${type.group ? `${type.plural}.${type.group}` : type.plural} is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        { kind: type.plural, ...(type.group ? { group: type.group } : {}) },
      );
    }
  }

  private toObject(type: ResourceType, body: unknown): KubeObject {
    if (!isObject(body)) throw errors.badRequest('the body of the request must be a JSON or YAML object');
    const object = pruneNulls(body) as JsonObject;
    const metadata = isObject(object.metadata) ? (object.metadata as ObjectMeta) : {};
    return { ...object, apiVersion: type.apiVersion, kind: type.kind, metadata: { ...metadata } };
  }

  /**
   * Checks `object` against its kind's schema: type errors are 422 Invalid; unknown
   * fields are dropped, and reported as a warning or (Strict) rejected.
   */
  private conform(type: ResourceType, object: KubeObject, options: WriteOptions, apply: boolean): KubeObject {
    const check = this.schemas.checkFor(type);
    if (!check || options.subresource === 'status') return object;
    const outcome = validateObject(check, object);
    const name = object.metadata.name ?? object.metadata.generateName ?? '';
    if (outcome.problems.length > 0) throw errors.invalid(type, name, dedupe(outcome.problems));
    if (outcome.unknown.length > 0 && options.fieldValidation !== 'Ignore') {
      if (options.fieldValidation === 'Strict') {
        if (apply) {
          throw errors.badRequest(`failed to create typed patch object (${type.group}/${type.version}, Kind=${type.kind}): ${outcome.unknown.map((f) => `${f}: field not declared in schema`).join(', ')}`);
        }
        throw errors.badRequest(
          `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${outcome.unknown.map((f) => `unknown field "${f.slice(1)}"`).join(', ')}`,
        );
      }
      for (const field of outcome.unknown) options.warnings?.push(`unknown field "${field.slice(1)}"`);
    }
    return outcome.value as KubeObject;
  }

  create(type: ResourceType, namespace: string | undefined, body: unknown, options: WriteOptions = {}): KubeObject {
    try {
      if (!isObject(body)) throw errors.badRequest('the body of the request must be a JSON or YAML object');
      this.checkTypeMeta(type, body, false);
      const ns = this.namespaceFor(type, namespace, body);
      const object = this.conform(type, this.toObject(type, body), options, false);
      if (object.metadata.resourceVersion) {
        throw errors.internal('resourceVersion should not be set on objects to be created');
      }
      if (!object.metadata.name && object.metadata.generateName) {
        object.metadata.name = `${object.metadata.generateName}${randomSuffix()}`;
      }
      this.ensureNamespaceWritable(type, ns);
      return this.createPrepared(type, ns, object, options, (created) => recordUpdate(undefined, created, defaultFieldManager(options), undefined, listTypesOf(type)));
    } finally {
      this.hooks.drain(this);
    }
  }

  private createPrepared(
    type: ResourceType,
    namespace: string | undefined,
    object: KubeObject,
    options: WriteOptions,
    trackFields: (object: KubeObject) => void,
  ): KubeObject {
    const name = object.metadata.name ?? '';
    const metadata: ObjectMeta = { ...object.metadata };
    for (const key of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink']) {
      delete metadata[key];
    }
    const created: KubeObject = {
      ...object,
      metadata: {
        ...metadata,
        name,
        ...(type.namespaced ? { namespace } : {}),
        uid: randomUUID(),
        creationTimestamp: kubeTimestamp(),
        ...(type.hasGeneration ? { generation: 1 } : {}),
      },
    };
    if (!type.namespaced) delete created.metadata.namespace;
    if (type.subresources.includes('status')) {
      delete created.status;
      const initial = initialStatus(type);
      if (initial) created.status = initial;
    }
    applyDefaults(type, created, undefined, this);
    const admission = { operation: 'create' as const, type, object: created, ...(options.user ? { user: options.user } : {}) };
    admitMutating(this, admission);
    const problems = validate(type, created);
    if (problems.length > 0) throw invalidError(type, name, problems);
    admitValidating(this, admission);
    if (this.peek(type, namespace, name)) throw errors.alreadyExists(type, name);
    trackFields(created);
    if (options.dryRun) return { ...created, metadata: { ...created.metadata } };
    return this.asVersion(type, this.commit(type, this.storedForm(type, created), undefined));
  }

  /** The object as stored: custom resources in their CRD's storage version. */
  private storedForm(type: ResourceType, object: KubeObject): KubeObject {
    const storage = this.types.customTypes(type.custom?.crdName ?? '').find((t) => t.custom?.storage);
    if (type.custom && storage && storage.apiVersion !== object.apiVersion) return { ...object, apiVersion: storage.apiVersion };
    return object;
  }

  update(type: ResourceType, namespace: string | undefined, name: string, body: unknown, options: WriteOptions = {}): KubeObject {
    try {
      if (!isObject(body)) throw errors.badRequest('the body of the request must be a JSON or YAML object');
      this.checkTypeMeta(type, body, false);
      const ns = this.namespaceFor(type, namespace, body);
      const incoming = this.conform(type, this.toObject(type, body), options, false);
      if (incoming.metadata.name !== undefined && incoming.metadata.name !== name) {
        throw errors.badRequest(`the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`);
      }
      const previous = this.peek(type, ns, name);
      if (!previous) throw errors.notFound(type, name);
      const requestedVersion = incoming.metadata.resourceVersion;
      if (requestedVersion !== undefined && requestedVersion !== '' && requestedVersion !== previous.metadata.resourceVersion) {
        throw errors.conflict(type, name);
      }
      let next: KubeObject;
      if (options.subresource === 'status') {
        next = { ...clone(previous), ...(incoming.status !== undefined ? { status: incoming.status } : {}) };
        if (incoming.status === undefined) delete next.status;
      } else {
        next = {
          ...incoming,
          metadata: { ...incoming.metadata, name, ...(type.namespaced ? { namespace: ns } : {}) },
        };
        if (type.subresources.includes('status')) {
          if (previous.status !== undefined) next.status = clone(previous.status);
          else delete next.status;
        }
      }
      return this.finishUpdate(type, previous, next, options, true);
    } finally {
      this.hooks.drain(this);
    }
  }

  /** Common tail of update, patch and apply. */
  private finishUpdate(type: ResourceType, previous: KubeObject, proposed: KubeObject, options: WriteOptions, trackFields: boolean): KubeObject {
    const name = previous.metadata.name ?? '';
    const next = clone(proposed);
    next.apiVersion = previous.apiVersion;
    next.kind = type.kind;
    next.metadata = {
      ...next.metadata,
      name,
      uid: previous.metadata.uid,
      creationTimestamp: previous.metadata.creationTimestamp,
      resourceVersion: previous.metadata.resourceVersion,
    };
    if (type.namespaced) next.metadata.namespace = previous.metadata.namespace;
    else delete next.metadata.namespace;
    if (previous.metadata.deletionTimestamp) next.metadata.deletionTimestamp = previous.metadata.deletionTimestamp;
    else delete next.metadata.deletionTimestamp;
    if (previous.metadata.deletionGracePeriodSeconds !== undefined) {
      next.metadata.deletionGracePeriodSeconds = previous.metadata.deletionGracePeriodSeconds;
    }
    if (trackFields) {
      // A client that sends changed managedFields (kubectl migrating client-side apply
      // ownership to server-side apply does) replaces them; otherwise they carry over.
      const requested = requestedManagedFields(proposed.metadata.managedFields);
      const changed = requested !== undefined && !deepEqual(requested, previous.metadata.managedFields ?? []);
      const base = changed ? requested : previous.metadata.managedFields;
      if (base && base.length > 0) next.metadata.managedFields = clone(base);
      else delete next.metadata.managedFields;
    }
    applyDefaults(type, next, previous, this);
    if (type.hasGeneration) {
      next.metadata.generation = deepEqual(specPart(previous), specPart(next))
        ? previous.metadata.generation ?? 1
        : (previous.metadata.generation ?? 0) + 1;
    }
    const problems = [...validate(type, next), ...validateUpdate(type, previous, next)];
    if (problems.length > 0) throw invalidError(type, name, problems);
    // Admission looks at writes of the object itself, not of its status.
    if (!options.subresource) admitValidating(this, { operation: 'update', type, object: next, previous, ...(options.user ? { user: options.user } : {}) });
    if (trackFields) recordUpdate(previous, next, defaultFieldManager(options), options.subresource, listTypesOf(type));
    // Writes that change nothing (managedFields timestamps aside) do not bump resourceVersion.
    if (deepEqual(withoutManagedFieldTimes(previous), withoutManagedFieldTimes(next))) return this.asVersion(type, clone(previous));
    if (options.dryRun) return this.asVersion(type, next);
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      // The last finalizer was removed from an object pending deletion.
      const updated = this.commit(type, next, previous);
      return this.asVersion(type, this.commitDelete(type, updated));
    }
    return this.asVersion(type, this.commit(type, next, previous));
  }

  patch(type: ResourceType, namespace: string | undefined, name: string, contentType: string, rawBody: unknown, options: PatchOptions = {}): WriteResult {
    try {
      if (contentType === 'application/apply-patch+yaml') return this.apply(type, namespace, name, rawBody, options);
      if (options.force !== undefined) {
        throw new ApiError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch', {
          kind: 'PatchOptions',
          group: 'meta.k8s.io',
          causes: [{ reason: 'FieldValueForbidden', message: 'Forbidden: may not be specified for non-apply patch', field: 'force' }],
        });
      }
      const stored = this.peek(type, namespace, name);
      if (!stored) throw errors.notFound(type, name);
      const previous = this.asVersion(type, clone(stored));
      let patched: unknown;
      try {
        switch (contentType) {
          case 'application/json-patch+json':
            patched = applyJsonPatch(previous, rawBody);
            break;
          case 'application/merge-patch+json':
            if (!isObject(rawBody)) throw errors.badRequest('merge patch body must be a JSON object');
            patched = jsonMergePatch(previous, rawBody);
            break;
          case 'application/strategic-merge-patch+json':
            if (type.custom) {
              throw errors.unsupportedMediaType(contentType);
            }
            if (!isObject(rawBody)) throw errors.badRequest('strategic merge patch body must be a JSON object');
            patched = strategicMergePatch(previous, rawBody);
            break;
          default:
            throw errors.unsupportedMediaType(contentType);
        }
      } catch (error) {
        if (error instanceof JsonPatchError) {
          throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${error.message}`);
        }
        throw error;
      }
      if (!isObject(patched)) throw errors.badRequest('patch result is not an object');
      const patchedObject = this.conform(type, this.toObject(type, patched), options, false);
      const patchedMeta = patchedObject.metadata;
      if (patchedMeta.resourceVersion !== undefined && patchedMeta.resourceVersion !== previous.metadata.resourceVersion) {
        throw errors.conflict(type, name);
      }
      if (patchedMeta.uid !== undefined && patchedMeta.uid !== previous.metadata.uid) {
        throw new ApiError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${type.group ? `${type.plural}.${type.group}` : type.plural} "${name}": Precondition failed: UID in precondition: ${String(patchedMeta.uid)}, UID in object meta: ${previous.metadata.uid ?? ''}`,
          { name, kind: type.plural, ...(type.group ? { group: type.group } : {}) },
        );
      }
      let next: KubeObject;
      if (options.subresource === 'status') {
        next = { ...clone(stored) };
        if (patchedObject.status !== undefined) next.status = patchedObject.status;
        else delete next.status;
      } else {
        next = { ...patchedObject, metadata: { ...patchedMeta } };
        if (type.subresources.includes('status')) {
          if (stored.status !== undefined) next.status = clone(stored.status);
          else delete next.status;
        }
      }
      return { object: this.finishUpdate(type, stored, next, options, true), created: false };
    } finally {
      this.hooks.drain(this);
    }
  }

  private apply(type: ResourceType, namespace: string | undefined, name: string, rawBody: unknown, options: PatchOptions): WriteResult {
    if (!options.fieldManager) {
      throw new ApiError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', {
        kind: 'PatchOptions',
        group: 'meta.k8s.io',
        causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }],
      });
    }
    if (!isObject(rawBody)) throw errors.badRequest('the body of an apply request must be an object');
    this.checkTypeMeta(type, rawBody, true);
    const ns = this.namespaceFor(type, namespace, rawBody);
    const config = this.conform(type, this.toObject(type, rawBody), options, true);
    if (config.metadata.name !== undefined && config.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${config.metadata.name}) does not match the name on the URL (${name})`);
    }
    config.metadata.name = name;
    if (type.namespaced) config.metadata.namespace = ns;
    const stored = this.peek(type, ns, name);
    const previous = stored ? this.asVersion(type, clone(stored)) : undefined;
    const requestedVersion = config.metadata.resourceVersion;
    if (requestedVersion !== undefined && requestedVersion !== '' && requestedVersion !== previous?.metadata.resourceVersion) {
      throw previous ? errors.conflict(type, name) : errors.notFound(type, name);
    }
    let merged: KubeObject;
    try {
      merged = applyConfiguration(previous, config, options.fieldManager, options.force === true, options.subresource, listTypesOf(type));
    } catch (error) {
      if (error instanceof ApplyConflictError) throw errors.applyConflict(type, name, error.conflicts);
      throw error;
    }
    if (!previous || !stored) {
      if (options.subresource) throw errors.notFound(type, name);
      // An apply that creates needs `create` as well as the `patch` the request was authorized for.
      if (options.user) authorizeCreateOnPatch(this, options.user, type, ns, name);
      this.ensureNamespaceWritable(type, ns);
      const managedFields = merged.metadata.managedFields;
      const object = this.createPrepared(type, ns, merged, options, (created) => {
        if (managedFields) created.metadata.managedFields = managedFields;
      });
      return { object, created: true };
    }
    if (type.subresources.includes('status') && options.subresource !== 'status') {
      if (stored.status !== undefined) merged.status = clone(stored.status);
      else delete merged.status;
    }
    return { object: this.finishUpdate(type, stored, merged, options, false), created: false };
  }

  delete(type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): DeleteResult {
    try {
      const previous = this.peek(type, namespace, name);
      if (!previous) throw errors.notFound(type, name);
      const preconditions = options.preconditions;
      if (preconditions?.uid && preconditions.uid !== previous.metadata.uid) {
        throw new ApiError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${type.group ? `${type.plural}.${type.group}` : type.plural} "${name}": Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${previous.metadata.uid ?? ''}`,
          { name, kind: type.plural, ...(type.group ? { group: type.group } : {}) },
        );
      }
      if (preconditions?.resourceVersion && preconditions.resourceVersion !== previous.metadata.resourceVersion) {
        throw errors.conflict(type, name);
      }
      if (type.kind === 'Namespace') {
        if (PROTECTED_NAMESPACES.has(name)) throw errors.forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`);
        if (options.dryRun) return { body: clone(previous), code: 200 };
        return { body: this.deleteNamespace(previous), code: 200 };
      }
      if (options.dryRun) return { body: successStatus(type, name, previous.metadata.uid), code: 200 };
      return this.deleteObject(type, previous);
    } finally {
      this.hooks.drain(this);
    }
  }

  /** Deletes (or marks for deletion, when finalizers are present) a stored object. */
  deleteObject(type: ResourceType, previous: KubeObject): DeleteResult {
    const name = previous.metadata.name ?? '';
    if ((previous.metadata.finalizers ?? []).length > 0) {
      if (previous.metadata.deletionTimestamp) return { body: clone(previous), code: 202 };
      const marked = clone(previous);
      marked.metadata.deletionTimestamp = kubeTimestamp();
      marked.metadata.deletionGracePeriodSeconds = 0;
      return { body: this.commit(type, marked, previous), code: 202 };
    }
    this.commitDelete(type, previous);
    return { body: successStatus(type, name, previous.metadata.uid), code: 200 };
  }

  private deleteNamespace(previous: KubeObject): KubeObject {
    let current = previous;
    if (!previous.metadata.deletionTimestamp) {
      const marked = clone(previous);
      marked.metadata.deletionTimestamp = kubeTimestamp();
      marked.status = {
        phase: 'Terminating',
        conditions: [
          { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization', lastTransitionTime: kubeTimestamp() },
        ],
      };
      current = this.commit(NAMESPACE, marked, previous);
    }
    const name = previous.metadata.name ?? '';
    for (const type of this.types.storedTypes()) {
      if (!type.namespaced) continue;
      for (const object of this.peekAll(type, name)) this.deleteObject(type, object);
    }
    return clone(current);
  }

  deleteCollection(type: ResourceType, namespace: string | undefined, options: ListOptions & DeleteOptions): JsonObject {
    try {
      const matching = this.peekAll(type, namespace).filter(
        (object) => matchesLabels(options.labelSelector ?? [], object.metadata.labels) && matchesFields(options.fieldSelector ?? [], object),
      );
      if (!options.dryRun) {
        for (const object of matching) {
          if (type.kind === 'Namespace') {
            if (!PROTECTED_NAMESPACES.has(object.metadata.name ?? '')) this.deleteNamespace(object);
          } else this.deleteObject(type, object);
        }
      }
      return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
    } finally {
      this.hooks.drain(this);
    }
  }
}

function invalidError(type: ResourceType, name: string, problems: FieldError[]): ApiError {
  return errors.invalid(type, name, problems);
}

function dedupe(problems: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.field}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function initialStatus(type: ResourceType): JsonObject | undefined {
  switch (type.kind) {
    case 'Namespace':
      return { phase: 'Active' };
    case 'Pod':
      return { phase: 'Pending', qosClass: 'BestEffort' };
    case 'PersistentVolumeClaim':
      return { phase: 'Pending' };
    case 'Service':
    case 'Ingress':
      return { loadBalancer: {} };
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet':
    case 'ResourceQuota':
      return {};
    default:
      return undefined;
  }
}
