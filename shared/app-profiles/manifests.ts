/**
 * The YAML of manifest tiers: checked when a profile is created and parsed again when
 * an app deploys, by the same function, so what was accepted always renders.
 */
import { loadAll } from '../kube/yaml.ts';

/** A Kubernetes object as written in a manifest: plain JSON data. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [field: string]: unknown };
  [field: string]: unknown;
}

/**
 * YAML aliases share one node, so a 64 KiB text can stand for gigabytes of data once
 * copied (labelled, serialized, hashed). Manifests are copied with this many values at
 * most; far more than 64 KiB of YAML holds without aliases.
 */
const MAX_VALUES = 100_000;

class TooLarge extends Error {}
class NotJson extends Error {}

/** A deep copy as plain JSON data, refusing what JSON cannot carry and what expands past the budget. */
function toJson(value: unknown, budget: { left: number }): unknown {
  if (--budget.left < 0) throw new TooLarge();
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NotJson();
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => toJson(item, budget));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // A key written `__proto__` must stay data, not become the copy's prototype.
      Object.defineProperty(copy, key, { value: toJson(item, budget), enumerable: true, writable: true, configurable: true });
    }
    return copy;
  }
  throw new NotJson();
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const nonEmpty = (value: unknown) => typeof value === 'string' && value.length > 0;

/** The objects of a manifest in document order, or what is wrong with it (one sentence). */
export function parseManifest(content: string): { objects: ManifestObject[]; problem?: undefined } | { problem: string; objects?: undefined } {
  let documents: unknown[];
  try {
    documents = loadAll(content);
  } catch (error) {
    return { problem: `is not valid YAML: ${(error as Error).message.split('\n')[0]}` };
  }
  const budget = { left: MAX_VALUES };
  const objects: ManifestObject[] = [];
  let index = 0;
  for (const document of documents) {
    index++;
    // An empty document (`---` at the end, or only comments) holds nothing to apply.
    if (document === null || document === undefined) continue;
    let data: unknown;
    try {
      data = toJson(document, budget);
    } catch (error) {
      if (error instanceof TooLarge) return { problem: `expands to more than ${MAX_VALUES} values (YAML aliases?)` };
      return { problem: `document ${index} holds values JSON cannot carry (such as .inf or .nan)` };
    }
    if (!isRecord(data)) return { problem: `document ${index} is not a Kubernetes object (a mapping with apiVersion, kind and metadata)` };
    const metadata = data.metadata;
    if (!nonEmpty(data.apiVersion) || !nonEmpty(data.kind) || !isRecord(metadata) || !nonEmpty(metadata.name)) {
      return { problem: `document ${index} needs apiVersion, kind and metadata.name` };
    }
    if (metadata.namespace !== undefined && !nonEmpty(metadata.namespace)) return { problem: `document ${index}: metadata.namespace must be a name` };
    const labels = metadata.labels;
    if (labels !== undefined && labels !== null && (!isRecord(labels) || Object.values(labels).some((v) => typeof v !== 'string'))) {
      return { problem: `document ${index}: metadata.labels must map names to strings` };
    }
    objects.push(data as ManifestObject);
  }
  if (objects.length === 0) return { problem: 'holds no Kubernetes object' };
  return { objects };
}
