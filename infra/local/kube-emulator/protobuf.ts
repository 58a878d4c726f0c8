/**
 * The little of Kubernetes' protobuf encoding the emulator reads. client-go 1.32 and later
 * send typed requests as protobuf; without the generated schemas of every kind the
 * emulator cannot decode objects, but a few messages are small and stable: DeleteOptions
 * (what a typed delete sends), and the reviews and TokenRequest that `kubectl auth
 * can-i`, `auth can-i --list`, `auth whoami` and `create token` send (field numbers from
 * k8s.io/api's generated.proto), so those work with every kubectl.
 */
import { isObject } from './json.ts';
import type { JsonObject } from './json.ts';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface FieldValue {
  field: number;
  wireType: number;
  value: bigint | Buffer;
}

function* fields(buffer: Buffer): Generator<FieldValue> {
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buffer[offset++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (offset < buffer.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wireType = key & 7;
    if (wireType === 0) yield { field, wireType, value: varint() };
    else if (wireType === 2) {
      const length = Number(varint());
      yield { field, wireType, value: buffer.subarray(offset, offset + length) };
      offset += length;
    } else if (wireType === 1) offset += 8;
    else if (wireType === 5) offset += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

/** The object inside a `k8s\0` envelope (`runtime.Unknown.raw`), or undefined. */
function unwrap(body: Buffer): Buffer | undefined {
  if (!body.subarray(0, 4).equals(MAGIC)) return undefined;
  for (const { field, value } of fields(body.subarray(4))) if (field === 2 && Buffer.isBuffer(value)) return value;
  return undefined;
}

/** DeleteOptions from a protobuf body: gracePeriodSeconds(1), preconditions(2), orphanDependents(3), propagationPolicy(4), dryRun(5). */
export function decodeDeleteOptions(body: Buffer): JsonObject {
  const raw = unwrap(body);
  if (!raw) return {};
  const options: JsonObject = {};
  const dryRun: string[] = [];
  for (const { field, value } of fields(raw)) {
    if (field === 1 && typeof value === 'bigint') options.gracePeriodSeconds = Number(BigInt.asIntN(64, value));
    else if (field === 2 && Buffer.isBuffer(value)) {
      const preconditions: JsonObject = {};
      for (const inner of fields(value)) {
        if (!Buffer.isBuffer(inner.value)) continue;
        if (inner.field === 1) preconditions.uid = inner.value.toString('utf8');
        if (inner.field === 2) preconditions.resourceVersion = inner.value.toString('utf8');
      }
      options.preconditions = preconditions;
    } else if (field === 3 && typeof value === 'bigint') options.orphanDependents = value !== 0n;
    else if (field === 4 && Buffer.isBuffer(value)) options.propagationPolicy = value.toString('utf8');
    else if (field === 5 && Buffer.isBuffer(value)) dryRun.push(value.toString('utf8'));
  }
  if (dryRun.length > 0) options.dryRun = dryRun;
  return isObject(options) ? options : {};
}

/** How to read one message: field number → JSON name and type (a nested message, `map` entries, or a scalar). */
interface MessageSchema {
  [field: number]: { name: string; type: 'string' | 'int64' | 'bool' | MessageSchema | { map: 'string' | MessageSchema }; repeated?: boolean };
}

function decodeMessage(bytes: Buffer, schema: MessageSchema): JsonObject {
  const out: JsonObject = {};
  for (const { field, value } of fields(bytes)) {
    const spec = schema[field];
    if (!spec) continue;
    let decoded: unknown;
    if (spec.type === 'string') decoded = Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
    else if (spec.type === 'int64') decoded = typeof value === 'bigint' ? Number(BigInt.asIntN(64, value)) : undefined;
    else if (spec.type === 'bool') decoded = typeof value === 'bigint' ? value !== 0n : undefined;
    else if ('map' in spec.type) {
      if (!Buffer.isBuffer(value)) continue;
      const entry = decodeMessage(value, { 1: { name: 'key', type: 'string' }, 2: { name: 'value', type: spec.type.map } });
      const map = isObject(out[spec.name]) ? (out[spec.name] as JsonObject) : {};
      map[String(entry.key ?? '')] = entry.value;
      out[spec.name] = map;
      continue;
    } else decoded = Buffer.isBuffer(value) ? decodeMessage(value, spec.type as MessageSchema) : undefined;
    if (decoded === undefined) continue;
    if (spec.repeated) out[spec.name] = [...(Array.isArray(out[spec.name]) ? (out[spec.name] as unknown[]) : []), decoded];
    else out[spec.name] = decoded;
  }
  return out;
}

const OBJECT_META: MessageSchema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  5: { name: 'uid', type: 'string' },
  11: { name: 'labels', type: { map: 'string' } },
  12: { name: 'annotations', type: { map: 'string' } },
};
const RESOURCE_ATTRIBUTES: MessageSchema = {
  1: { name: 'namespace', type: 'string' },
  2: { name: 'verb', type: 'string' },
  3: { name: 'group', type: 'string' },
  4: { name: 'version', type: 'string' },
  5: { name: 'resource', type: 'string' },
  6: { name: 'subresource', type: 'string' },
  7: { name: 'name', type: 'string' },
};
const NON_RESOURCE_ATTRIBUTES: MessageSchema = { 1: { name: 'path', type: 'string' }, 2: { name: 'verb', type: 'string' } };
const EXTRA_VALUE: MessageSchema = { 1: { name: 'items', type: 'string', repeated: true } };
const SUBJECT_ACCESS_REVIEW_SPEC: MessageSchema = {
  1: { name: 'resourceAttributes', type: RESOURCE_ATTRIBUTES },
  2: { name: 'nonResourceAttributes', type: NON_RESOURCE_ATTRIBUTES },
  3: { name: 'user', type: 'string' },
  4: { name: 'groups', type: 'string', repeated: true },
  5: { name: 'extra', type: { map: EXTRA_VALUE } },
  6: { name: 'uid', type: 'string' },
};
const SPECS: Record<string, MessageSchema | undefined> = {
  SelfSubjectAccessReview: { 1: { name: 'resourceAttributes', type: RESOURCE_ATTRIBUTES }, 2: { name: 'nonResourceAttributes', type: NON_RESOURCE_ATTRIBUTES } },
  SubjectAccessReview: SUBJECT_ACCESS_REVIEW_SPEC,
  LocalSubjectAccessReview: SUBJECT_ACCESS_REVIEW_SPEC,
  SelfSubjectRulesReview: { 1: { name: 'namespace', type: 'string' } },
  SelfSubjectReview: undefined,
  TokenReview: { 1: { name: 'token', type: 'string' }, 2: { name: 'audiences', type: 'string', repeated: true } },
  TokenRequest: {
    1: { name: 'audiences', type: 'string', repeated: true },
    3: { name: 'boundObjectRef', type: { 1: { name: 'kind', type: 'string' }, 2: { name: 'apiVersion', type: 'string' }, 3: { name: 'name', type: 'string' }, 4: { name: 'uid', type: 'string' } } },
    4: { name: 'expirationSeconds', type: 'int64' },
  },
};

/** The kinds whose protobuf request bodies the emulator decodes. */
export const decodableKinds = new Set(Object.keys(SPECS));

/** A review or TokenRequest from a protobuf body, as the JSON object it stands for, or undefined when it is not one. */
export function decodeTypedRequest(kind: string, body: Buffer): JsonObject | undefined {
  if (!decodableKinds.has(kind) || !body.subarray(0, 4).equals(MAGIC)) return undefined;
  let typeMeta: JsonObject = {};
  let raw: Buffer | undefined;
  for (const { field, value } of fields(body.subarray(4))) {
    if (field === 1 && Buffer.isBuffer(value)) typeMeta = decodeMessage(value, { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } });
    if (field === 2 && Buffer.isBuffer(value)) raw = value;
  }
  if (!raw) return undefined;
  const spec = SPECS[kind];
  const envelope: MessageSchema = { 1: { name: 'metadata', type: OBJECT_META } };
  if (spec) envelope[2] = { name: 'spec', type: spec };
  const decoded = decodeMessage(raw, envelope);
  return { ...typeMeta, metadata: {}, ...decoded };
}
