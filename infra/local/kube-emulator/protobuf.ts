/**
 * The little of Kubernetes' protobuf encoding the emulator reads. client-go 1.32 and later
 * send typed requests as protobuf; without the generated schemas of every kind the
 * emulator cannot decode objects, but DeleteOptions (what a typed delete sends) is small
 * and stable, so deletes from those clients work.
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
