/**
 * Patch formats accepted by the Kubernetes API emulator: JSON merge patch (RFC 7386),
 * a strategic merge patch approximation (merge keys for the common built-in list
 * fields plus `$patch`/`$retainKeys`/`$deleteFromPrimitiveList` directives) and JSON
 * patch (RFC 6902). Server-side apply lives in `field-manager.ts`.
 */
import { clone, deepEqual, isObject } from './json.ts';
import type { JsonObject } from './json.ts';

/** RFC 7386 JSON merge patch. */
export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = jsonMergePatch(result[key], value);
  }
  return result;
}

/** List fields of built-in types that strategic merge patch merges by a key instead of replacing. */
const MERGE_KEYS: Record<string, string | ((items: unknown[]) => string)> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  imagePullSecrets: 'name',
  resourceClaims: 'name',
  secrets: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  hostAliases: 'ip',
  ownerReferences: 'uid',
  conditions: 'type',
  topologySpreadConstraints: 'topologyKey',
  // Container ports merge on containerPort, Service ports on port.
  ports: (items) => (items.some((item) => isObject(item) && 'containerPort' in item) ? 'containerPort' : 'port'),
};

/** Primitive lists whose patch strategy is "merge" (union) rather than replace. */
const MERGE_PRIMITIVE_LISTS = new Set(['finalizers']);

export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive === 'replace') {
    const { $patch: _directive, ...rest } = patch;
    return stripDirectives(rest);
  }
  const result: JsonObject = isObject(target) ? { ...target } : {};
  let retainKeys: string[] | undefined;
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch') continue;
    if (key === '$retainKeys') {
      if (Array.isArray(value)) retainKeys = value.map(String);
      continue;
    }
    if (key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value)) {
        result[field] = current.filter((item) => !value.some((removed) => deepEqual(removed, item)));
      }
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    if (Array.isArray(value)) {
      result[key] = mergeList(key, result[key], value);
      continue;
    }
    if (isObject(value)) {
      const merged = strategicMergePatch(result[key], value);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
      continue;
    }
    result[key] = value;
  }
  if (retainKeys) {
    for (const key of Object.keys(result)) if (!retainKeys.includes(key) && !(key in patch)) delete result[key];
  }
  return result;
}

function mergeList(field: string, current: unknown, patch: unknown[]): unknown[] {
  const target = Array.isArray(current) ? current : [];
  if (MERGE_PRIMITIVE_LISTS.has(field)) {
    const out = [...target];
    for (const item of patch) if (!out.some((existing) => deepEqual(existing, item))) out.push(item);
    return out;
  }
  const mergeKeySpec = MERGE_KEYS[field];
  if (!mergeKeySpec || !patch.every(isObject)) return stripDirectives(patch) as unknown[];
  if (patch.some((item) => isObject(item) && item.$patch === 'replace' && Object.keys(item).length === 1)) {
    return stripDirectives(patch.filter((item) => !(isObject(item) && item.$patch === 'replace'))) as unknown[];
  }
  const mergeKey = typeof mergeKeySpec === 'string' ? mergeKeySpec : mergeKeySpec([...target, ...patch]);
  const out = target.map((item) => clone(item));
  for (const item of patch) {
    if (!isObject(item)) continue;
    const keyValue = item[mergeKey];
    const index = out.findIndex((existing) => isObject(existing) && deepEqual(existing[mergeKey], keyValue));
    if (item.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    if (index >= 0) out[index] = strategicMergePatch(out[index], item);
    else out.push(stripDirectives(item));
  }
  return out;
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith('$')) continue;
    if (child === null) continue;
    out[key] = stripDirectives(child);
  }
  return out;
}

// ---------------------------------------------------------------------------
// RFC 6902 JSON patch
// ---------------------------------------------------------------------------

export class JsonPatchError extends Error {}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function resolveParent(doc: unknown, tokens: string[], pointer: string): { parent: unknown; key: string } {
  let parent = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(parent)) parent = parent[Number(token)];
    else if (isObject(parent)) parent = parent[token];
    else parent = undefined;
    if (parent === undefined) throw new JsonPatchError(`doc is missing path: "${pointer}"`);
  }
  const key = tokens[tokens.length - 1];
  if (key === undefined) throw new JsonPatchError('the root document cannot be modified with this operation');
  return { parent, key };
}

function arrayIndex(list: unknown[], key: string, allowEnd: boolean, pointer: string): number {
  if (key === '-' && allowEnd) return list.length;
  if (!/^(0|[1-9][0-9]*)$/.test(key)) throw new JsonPatchError(`invalid array index "${key}" in "${pointer}"`);
  const index = Number(key);
  if (index > list.length || (!allowEnd && index === list.length)) {
    throw new JsonPatchError(`unable to access invalid index: ${index}`);
  }
  return index;
}

function getPointer(doc: unknown, pointer: string): unknown {
  let current = doc;
  for (const token of parsePointer(pointer)) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isObject(current)) current = current[token];
    else current = undefined;
    if (current === undefined) throw new JsonPatchError(`doc is missing path: "${pointer}"`);
  }
  return current;
}

function addAt(doc: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return clone(value);
  const { parent, key } = resolveParent(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, pointer), 0, clone(value));
  else if (isObject(parent)) parent[key] = clone(value);
  else throw new JsonPatchError(`doc is missing path: "${pointer}"`);
  return doc;
}

function removeAt(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  const { parent, key } = resolveParent(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, false, pointer), 1);
  else if (isObject(parent) && Object.hasOwn(parent, key)) delete parent[key];
  else throw new JsonPatchError(`unable to remove nonexistent key: ${key}: missing value`);
  return doc;
}

export function applyJsonPatch(document: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new JsonPatchError('json patch must be an array of operations');
  let doc = clone(document);
  for (const raw of operations) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw new JsonPatchError('invalid json patch operation');
    }
    const op = raw as unknown as Operation;
    switch (op.op) {
      case 'add':
        doc = addAt(doc, op.path, op.value);
        break;
      case 'remove':
        doc = removeAt(doc, op.path);
        break;
      case 'replace':
        getPointer(doc, op.path);
        doc = removeAt(doc, op.path);
        doc = addAt(doc, op.path, op.value);
        break;
      case 'move': {
        const value = getPointer(doc, op.from ?? '');
        doc = removeAt(doc, op.from ?? '');
        doc = addAt(doc, op.path, value);
        break;
      }
      case 'copy':
        doc = addAt(doc, op.path, getPointer(doc, op.from ?? ''));
        break;
      case 'test':
        if (!deepEqual(getPointer(doc, op.path), op.value)) throw new JsonPatchError(`testing value ${op.path} failed`);
        break;
      default:
        throw new JsonPatchError(`Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}
