/**
 * Server-side apply and `metadata.managedFields` bookkeeping for the Kubernetes API
 * emulator.
 *
 * Ownership is tracked per field, as structured-merge-diff does: maps by key, the
 * associative lists of the built-in kinds (containers by name, ports by port and
 * protocol, ...) by their keys (`k:{"name":"app"}` in `fieldsV1`), sets by value
 * (`v:"..."`), other lists as a whole. Re-applying the same configuration is a no-op,
 * fields dropped from a manager's applied configuration are removed unless someone else
 * owns them, and applying a different value to a field another manager owns is a
 * conflict unless `force=true`.
 */
import { clone, deepEqual, isObject, kubeTimestamp } from './json.ts';
import type { JsonObject, KubeObject, ManagedFieldsEntry } from './json.ts';

/** Path segments: map keys as they are, list items as `k:<keys json>` or `v:<value json>`, and `.` for an item itself. */
type Path = string[];
export type Scope = 'main' | 'status';

/** How a list is merged: by the keys of its items, as a set of values, or as a whole. */
export type ListType = { keys: string[] } | 'set' | 'atomic';
export type ListTypes = (field: string, items: unknown[]) => ListType;

const PORT_KEYS = (items: unknown[]): string[] => (items.some((item) => isObject(item) && 'containerPort' in item) ? ['containerPort', 'protocol'] : ['port', 'protocol']);

/** `x-kubernetes-list-type`/`-list-map-keys` of the built-in kinds' lists, by field name. */
const BUILTIN_LIST_KEYS: Record<string, string[] | ((items: unknown[]) => string[])> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  volumes: ['name'],
  env: ['name'],
  imagePullSecrets: ['name'],
  resourceClaims: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  hostAliases: ['ip'],
  ownerReferences: ['uid'],
  conditions: ['type'],
  topologySpreadConstraints: ['topologyKey', 'whenUnsatisfiable'],
  ports: PORT_KEYS,
};
const BUILTIN_SETS = new Set(['finalizers']);
/** Key fields with a default, which a configuration may leave out. */
const KEY_DEFAULTS: Record<string, unknown> = { protocol: 'TCP' };

export const builtinListTypes: ListTypes = (field, items) => {
  const keys = BUILTIN_LIST_KEYS[field];
  if (keys && items.every(isObject)) return { keys: typeof keys === 'function' ? keys(items) : keys };
  if (BUILTIN_SETS.has(field) && items.every((item) => !isObject(item) && !Array.isArray(item))) return 'set';
  return 'atomic';
};

export const atomicLists: ListTypes = () => 'atomic';

const SYSTEM_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink']);

function itemKey(item: JsonObject, keys: string[]): string {
  const key: JsonObject = {};
  for (const field of [...keys].sort()) key[field] = item[field] ?? KEY_DEFAULTS[field];
  return `k:${JSON.stringify(key)}`;
}

const isItemSegment = (segment: string): boolean => segment.startsWith('k:') || segment.startsWith('v:');

/** The list item a segment names, with its index. */
function findItem(list: unknown[], segment: string, field: string, listTypes: ListTypes): { index: number; item: unknown } | undefined {
  const type = listTypes(field, list);
  for (const [index, item] of list.entries()) {
    if (segment.startsWith('k:') && typeof type === 'object' && isObject(item) && itemKey(item, type.keys) === segment) return { index, item };
    if (segment.startsWith('v:') && type === 'set' && `v:${JSON.stringify(item)}` === segment) return { index, item };
  }
  return undefined;
}

function readPath(root: unknown, path: Path, listTypes: ListTypes): unknown {
  let current = root;
  let field = '';
  for (const segment of path) {
    if (segment === '.') return current;
    if (isItemSegment(segment)) {
      if (!Array.isArray(current)) return undefined;
      current = findItem(current, segment, field, listTypes)?.item;
    } else {
      if (!isObject(current)) return undefined;
      current = current[segment];
      field = segment;
    }
    if (current === undefined) return undefined;
  }
  return current;
}

function removePath(root: unknown, path: Path, listTypes: ListTypes): void {
  const target = path[path.length - 1] === '.' ? path.slice(0, -1) : path;
  const last = target[target.length - 1];
  if (last === undefined) return;
  const parentPath = target.slice(0, -1);
  const parent = readPath(root, parentPath, listTypes);
  if (isItemSegment(last)) {
    const field = [...parentPath].reverse().find((s) => !isItemSegment(s) && s !== '.') ?? '';
    if (!Array.isArray(parent)) return;
    const found = findItem(parent, last, field, listTypes);
    if (found) parent.splice(found.index, 1);
  } else if (isObject(parent)) delete parent[last];
}

/** Leaf paths of an object: scalars, atomic lists, empty maps and list items, without system-owned fields. */
export function leafPaths(object: JsonObject, scope: Scope, listTypes: ListTypes = builtinListTypes): Path[] {
  const out: Path[] = [];
  const walk = (value: unknown, path: Path, field: string): void => {
    if (isObject(value) && (Object.keys(value).length > 0 || path.length === 0)) {
      for (const [key, child] of Object.entries(value)) {
        if (child === null || child === undefined) continue;
        if (path.length === 0) {
          if (key === 'apiVersion' || key === 'kind') continue;
          if (scope === 'main' && key === 'status') continue;
          if (scope === 'status' && key !== 'status') continue;
        }
        if (path.length === 1 && path[0] === 'metadata' && SYSTEM_METADATA.has(key)) continue;
        walk(child, [...path, key], key);
      }
      return;
    }
    if (Array.isArray(value) && value.length > 0) {
      const type = listTypes(field, value);
      if (typeof type === 'object') {
        for (const item of value) {
          const itemPath = [...path, itemKey(item as JsonObject, type.keys)];
          out.push([...itemPath, '.']);
          walk(item, itemPath, field);
        }
        return;
      }
      if (type === 'set') {
        for (const item of value) out.push([...path, `v:${JSON.stringify(item)}`]);
        return;
      }
    }
    if (path.length > 0 && !isItemSegment(path[path.length - 1] ?? '')) out.push(path);
  };
  walk(object, [], '');
  return out;
}

const keyOf = (path: Path): string => JSON.stringify(path);

function overlaps(a: Path, b: Path): boolean {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toFieldsV1(paths: Path[]): JsonObject {
  const root: JsonObject = {};
  for (const path of paths) {
    let node = root;
    for (const segment of path) {
      const key = segment === '.' || isItemSegment(segment) ? segment : `f:${segment}`;
      const next = node[key];
      if (isObject(next)) node = next;
      else {
        const created: JsonObject = {};
        node[key] = created;
        node = created;
      }
    }
  }
  return root;
}

export function fromFieldsV1(fields: unknown): Path[] {
  const out: Path[] = [];
  const walk = (node: unknown, path: Path): void => {
    const entries = isObject(node) ? Object.entries(node) : [];
    if (entries.length === 0) {
      if (path.length > 0) out.push(path);
      return;
    }
    for (const [key, child] of entries) {
      if (key === '.') out.push([...path, '.']);
      else if (key.startsWith('f:')) walk(child, [...path, key.slice(2)]);
      else if (key.startsWith('k:') || key.startsWith('v:')) walk(child, [...path, key]);
    }
  };
  walk(fields, []);
  return out;
}

interface Entry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  subresource?: string;
  paths: Path[];
}

function readEntries(object: KubeObject | undefined): Entry[] {
  const raw = object?.metadata.managedFields ?? [];
  return raw.map((entry) => ({
    manager: entry.manager,
    operation: entry.operation,
    apiVersion: entry.apiVersion,
    time: entry.time,
    ...(entry.subresource ? { subresource: entry.subresource } : {}),
    paths: fromFieldsV1(entry.fieldsV1),
  }));
}

function writeEntries(object: KubeObject, entries: Entry[]): void {
  const kept = entries.filter((entry) => entry.paths.length > 0);
  if (kept.length === 0) {
    delete object.metadata.managedFields;
    return;
  }
  object.metadata.managedFields = kept.map(
    (entry): ManagedFieldsEntry => ({
      manager: entry.manager,
      operation: entry.operation,
      apiVersion: entry.apiVersion,
      time: entry.time,
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(entry.paths),
      ...(entry.subresource ? { subresource: entry.subresource } : {}),
    }),
  );
}

const scopeOf = (subresource: string | undefined): Scope => (subresource === 'status' ? 'status' : 'main');

/** A leaf's value for comparison: an item's membership compares the item's keys only. */
function valueAt(object: unknown, path: Path, listTypes: ListTypes): unknown {
  const value = readPath(object, path, listTypes);
  return path[path.length - 1] === '.' ? value !== undefined : value;
}

/**
 * Records a non-apply write (create, update, patch) by `manager`: it takes ownership of
 * every field it changed; other managers lose ownership of those fields. The ownership
 * it starts from is what `next` carries: the stored managedFields, or those the client
 * replaced them with.
 */
export function recordUpdate(previous: KubeObject | undefined, next: KubeObject, manager: string, subresource?: string, listTypes: ListTypes = builtinListTypes): void {
  const scope = scopeOf(subresource);
  const entries = readEntries(next);
  const nextPaths = leafPaths(next, scope, listTypes);
  const candidates = new Map<string, Path>();
  for (const path of [...nextPaths, ...(previous ? leafPaths(previous, scope, listTypes) : [])]) candidates.set(keyOf(path), path);
  const changed = [...candidates.values()].filter((path) => !deepEqual(valueAt(previous, path, listTypes), valueAt(next, path, listTypes)));
  if (changed.length === 0) {
    writeEntries(next, entries);
    return;
  }
  const nextKeys = new Set(nextPaths.map(keyOf));
  let target = entries.find((entry) => entry.manager === manager && entry.operation === 'Update' && entry.subresource === subresource);
  for (const entry of entries) {
    if (entry === target) continue;
    entry.paths = entry.paths.filter((owned) => !changed.some((path) => overlaps(owned, path)));
  }
  if (!target) {
    target = { manager, operation: 'Update', apiVersion: next.apiVersion, time: '', paths: [], ...(subresource ? { subresource } : {}) };
    entries.push(target);
  }
  target.paths = [...target.paths.filter((owned) => !changed.some((path) => overlaps(owned, path))), ...changed.filter((path) => nextKeys.has(keyOf(path)))];
  target.time = kubeTimestamp();
  target.apiVersion = next.apiVersion;
  writeEntries(next, entries);
}

export interface FieldConflict {
  manager: string;
  apiVersion: string;
  field: string;
}

export class ApplyConflictError extends Error {
  constructor(readonly conflicts: FieldConflict[]) {
    super('apply conflict');
  }
}

function mergeApplied(live: unknown, config: unknown, field: string, listTypes: ListTypes): unknown {
  if (Array.isArray(config) && Array.isArray(live)) {
    const type = listTypes(field, [...live, ...config]);
    if (typeof type === 'object') {
      const out = live.map((item) => clone(item));
      for (const item of config) {
        const key = itemKey(item as JsonObject, type.keys);
        const index = out.findIndex((existing) => isObject(existing) && itemKey(existing, type.keys) === key);
        if (index >= 0) out[index] = mergeApplied(out[index], item, field, listTypes);
        else out.push(clone(item));
      }
      return out;
    }
    if (type === 'set') return [...live, ...config.filter((item) => !live.some((existing) => deepEqual(existing, item)))];
    return clone(config);
  }
  if (!isObject(config) || !isObject(live)) return clone(config);
  const out: JsonObject = { ...live };
  for (const [key, value] of Object.entries(config)) {
    if (value === null || value === undefined) delete out[key];
    else out[key] = mergeApplied(out[key], value, key, listTypes);
  }
  return out;
}

const withoutManagedFields = (object: KubeObject): KubeObject => {
  const copy = clone(object);
  delete copy.metadata.managedFields;
  return copy;
};

const fieldName = (path: Path): string =>
  `.${path
    .filter((s) => s !== '.')
    .map((s) => (isItemSegment(s) ? `[${s.startsWith('k:') ? s.slice(2).replace(/^\{|\}$/g, '').replace(/"([^"]+)":/g, '$1=') : s.slice(2)}]` : s))
    .join('.')
    .replace(/\.\[/g, '[')}`;

/**
 * Server-side apply of `config` by `manager` onto `live` (undefined when creating).
 * Returns the merged object with updated managedFields; throws ApplyConflictError.
 */
export function applyConfiguration(live: KubeObject | undefined, config: KubeObject, manager: string, force: boolean, subresource?: string, listTypes: ListTypes = builtinListTypes): KubeObject {
  const scope = scopeOf(subresource);
  const entries = readEntries(live);
  const configPaths = leafPaths(config, scope, listTypes);
  const configKeys = new Set(configPaths.map(keyOf));
  let own = entries.find((entry) => entry.manager === manager && entry.operation === 'Apply' && entry.subresource === subresource);
  const others = entries.filter((entry) => entry !== own);

  const conflicts: FieldConflict[] = [];
  for (const path of configPaths) {
    const sameValue = deepEqual(valueAt(live, path, listTypes), valueAt(config, path, listTypes));
    for (const entry of others) {
      const owned = entry.paths.some((ownedPath) => overlaps(ownedPath, path));
      if (!owned) continue;
      if (entry.manager === manager) {
        // The same actor's earlier non-apply writes: take those fields over silently.
        entry.paths = entry.paths.filter((ownedPath) => !overlaps(ownedPath, path));
        continue;
      }
      if (sameValue) continue; // shared ownership
      if (force) entry.paths = entry.paths.filter((ownedPath) => !overlaps(ownedPath, path));
      else conflicts.push({ manager: entry.manager, apiVersion: entry.apiVersion, field: fieldName(path) });
    }
  }
  if (conflicts.length > 0) throw new ApplyConflictError(conflicts);

  let result: KubeObject = live ? clone(live) : { apiVersion: config.apiVersion, kind: config.kind, metadata: { ...(config.metadata.name ? { name: config.metadata.name } : {}) } };
  const previousPaths = own?.paths ?? [];
  // Deepest first, so that fields go before the list items that hold them.
  for (const path of [...previousPaths].sort((a, b) => b.length - a.length)) {
    if (configKeys.has(keyOf(path))) continue;
    if (configPaths.some((configPath) => overlaps(configPath, path))) continue;
    // An item stays while someone else owns any of its fields.
    const held = path[path.length - 1] === '.' ? path.slice(0, -1) : path;
    if (others.some((entry) => entry.paths.some((ownedPath) => overlaps(ownedPath, held)))) continue;
    removePath(result, path, listTypes);
  }
  const scoped = clone(config) as JsonObject;
  delete scoped.apiVersion;
  delete scoped.kind;
  if (scope === 'main') delete scoped.status;
  const metadata = isObject(scoped.metadata) ? scoped.metadata : undefined;
  if (metadata) for (const key of SYSTEM_METADATA) delete metadata[key];
  if (scope === 'status') result = { ...result, status: mergeApplied(result.status, scoped.status, 'status', listTypes) };
  else result = mergeApplied(result, scoped, '', listTypes) as KubeObject;

  const contentUnchanged = live !== undefined && deepEqual(withoutManagedFields(live), withoutManagedFields(result));
  const ownershipUnchanged = own !== undefined && own.paths.length === configPaths.length && own.paths.every((path) => configKeys.has(keyOf(path)));
  if (contentUnchanged && ownershipUnchanged && live) return clone(live);

  if (!own) {
    own = { manager, operation: 'Apply', apiVersion: config.apiVersion, time: '', paths: [], ...(subresource ? { subresource } : {}) };
    entries.push(own);
  }
  own.paths = configPaths;
  own.time = kubeTimestamp();
  own.apiVersion = config.apiVersion;
  // Apply entries come first, as the real API server orders them.
  entries.sort((a, b) => (a.operation === b.operation ? 0 : a.operation === 'Apply' ? -1 : 1));
  writeEntries(result, entries);
  return result;
}
