/**
 * Server-side apply and `metadata.managedFields` bookkeeping for the Kubernetes API
 * emulator.
 *
 * Simplification versus the real field manager: every list is treated as atomic (the
 * real one merges associative lists such as `containers` by key), so ownership is
 * tracked for maps down to scalar/list leaves. That is enough for the common cases:
 * re-applying the same configuration is a no-op, fields dropped from a manager's
 * applied configuration are removed, and applying a value over a field owned by a
 * different manager is a conflict unless `force=true`.
 */
import { clone, deepEqual, deletePath, getPath, isObject, kubeTimestamp } from './json.ts';
import type { JsonObject, KubeObject, ManagedFieldsEntry } from './json.ts';

type Path = string[];
export type Scope = 'main' | 'status';

const SYSTEM_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

/** Leaf paths of an object: scalars, lists and empty maps, excluding system-owned fields. */
export function leafPaths(object: JsonObject, scope: Scope): Path[] {
  const out: Path[] = [];
  const walk = (value: unknown, path: Path): void => {
    if (isObject(value) && (Object.keys(value).length > 0 || path.length === 0)) {
      for (const [key, child] of Object.entries(value)) {
        if (child === null || child === undefined) continue;
        if (path.length === 0) {
          if (key === 'apiVersion' || key === 'kind') continue;
          if (scope === 'main' && key === 'status') continue;
          if (scope === 'status' && key !== 'status') continue;
        }
        if (path.length === 1 && path[0] === 'metadata' && SYSTEM_METADATA.has(key)) continue;
        walk(child, [...path, key]);
      }
      return;
    }
    out.push(path);
  };
  walk(object, []);
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
      const key = `f:${segment}`;
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
    const named = entries.filter(([key]) => key.startsWith('f:'));
    if (named.length === 0 || named.length !== entries.length) {
      if (path.length > 0) out.push(path);
      return;
    }
    for (const [key, child] of named) walk(child, [...path, key.slice(2)]);
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

/**
 * Records a non-apply write (create, update, patch) by `manager`: it takes ownership of
 * every field it changed; other managers lose ownership of those fields.
 */
export function recordUpdate(
  previous: KubeObject | undefined,
  next: KubeObject,
  manager: string,
  subresource?: string,
): void {
  const scope = scopeOf(subresource);
  const entries = readEntries(previous);
  const nextPaths = leafPaths(next, scope);
  const candidates = new Map<string, Path>();
  for (const path of [...nextPaths, ...(previous ? leafPaths(previous, scope) : [])]) candidates.set(keyOf(path), path);
  const changed = [...candidates.values()].filter((path) => !deepEqual(getPath(previous, path), getPath(next, path)));
  if (changed.length === 0) {
    writeEntries(next, entries);
    return;
  }
  const nextKeys = new Set(nextPaths.map(keyOf));
  let target = entries.find(
    (entry) => entry.manager === manager && entry.operation === 'Update' && entry.subresource === subresource,
  );
  for (const entry of entries) {
    if (entry === target) continue;
    entry.paths = entry.paths.filter((owned) => !changed.some((path) => overlaps(owned, path)));
  }
  if (!target) {
    target = { manager, operation: 'Update', apiVersion: next.apiVersion, time: '', paths: [], ...(subresource ? { subresource } : {}) };
    entries.push(target);
  }
  target.paths = [
    ...target.paths.filter((owned) => !changed.some((path) => overlaps(owned, path))),
    ...changed.filter((path) => nextKeys.has(keyOf(path))),
  ];
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

function mergeApplied(live: unknown, config: unknown): unknown {
  if (!isObject(config) || !isObject(live)) return clone(config);
  const out: JsonObject = { ...live };
  for (const [key, value] of Object.entries(config)) {
    if (value === null || value === undefined) delete out[key];
    else out[key] = mergeApplied(out[key], value);
  }
  return out;
}

const withoutManagedFields = (object: KubeObject): KubeObject => {
  const copy = clone(object);
  delete copy.metadata.managedFields;
  return copy;
};

/**
 * Server-side apply of `config` by `manager` onto `live` (undefined when creating).
 * Returns the merged object with updated managedFields; throws ApplyConflictError.
 */
export function applyConfiguration(
  live: KubeObject | undefined,
  config: KubeObject,
  manager: string,
  force: boolean,
  subresource?: string,
): KubeObject {
  const scope = scopeOf(subresource);
  const entries = readEntries(live);
  const configPaths = leafPaths(config, scope);
  const configKeys = new Set(configPaths.map(keyOf));
  let own = entries.find(
    (entry) => entry.manager === manager && entry.operation === 'Apply' && entry.subresource === subresource,
  );
  const others = entries.filter((entry) => entry !== own);

  const conflicts: FieldConflict[] = [];
  for (const path of configPaths) {
    const sameValue = deepEqual(getPath(live, path), getPath(config, path));
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
      else conflicts.push({ manager: entry.manager, apiVersion: entry.apiVersion, field: `.${path.join('.')}` });
    }
  }
  if (conflicts.length > 0) throw new ApplyConflictError(conflicts);

  let result: KubeObject = live
    ? clone(live)
    : { apiVersion: config.apiVersion, kind: config.kind, metadata: { ...(config.metadata.name ? { name: config.metadata.name } : {}) } };
  const previousPaths = own?.paths ?? [];
  for (const path of previousPaths) {
    if (configKeys.has(keyOf(path))) continue;
    if (configPaths.some((configPath) => overlaps(configPath, path))) continue;
    if (others.some((entry) => entry.paths.some((ownedPath) => overlaps(ownedPath, path)))) continue;
    deletePath(result, path);
  }
  const scoped = clone(config) as JsonObject;
  delete scoped.apiVersion;
  delete scoped.kind;
  if (scope === 'main') delete scoped.status;
  const metadata = isObject(scoped.metadata) ? scoped.metadata : undefined;
  if (metadata) for (const key of SYSTEM_METADATA) delete metadata[key];
  if (scope === 'status') {
    result = { ...result, status: mergeApplied(result.status, scoped.status) };
  } else {
    result = mergeApplied(result, scoped) as KubeObject;
  }

  const contentUnchanged = live !== undefined && deepEqual(withoutManagedFields(live), withoutManagedFields(result));
  const ownershipUnchanged =
    own !== undefined &&
    own.paths.length === configPaths.length &&
    own.paths.every((path) => configKeys.has(keyOf(path)));
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
