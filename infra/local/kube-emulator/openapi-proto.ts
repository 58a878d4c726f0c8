/**
 * `/openapi/v2` in protobuf, the form kubectl and client-go ask for
 * (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`): the gnostic
 * `openapi.v2.Document` message, encoded by hand. Values the proto types as `Any`
 * (enums, defaults, vendor extensions) travel as YAML text, as kube-openapi sends them.
 */
import { dumpYaml } from '@kubernetes/client-node';
import { isObject } from './json.ts';
import type { JsonObject } from './json.ts';

type Field = Buffer;

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = BigInt.asUintN(64, BigInt(Math.trunc(value)));
  while (v >= 0x80n) {
    bytes.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Buffer.from(bytes);
}

const key = (field: number, wireType: number): Buffer => varint((field << 3) | wireType);

function bytesField(field: number, value: Buffer): Field {
  return Buffer.concat([key(field, 2), varint(value.length), value]);
}

const str = (field: number, value: unknown): Field[] => (typeof value === 'string' && value !== '' ? [bytesField(field, Buffer.from(value, 'utf8'))] : []);
const strs = (field: number, values: unknown): Field[] => (Array.isArray(values) ? values.flatMap((v) => str(field, String(v))) : []);
const bool = (field: number, value: unknown): Field[] => (value === true ? [Buffer.concat([key(field, 0), varint(1)])] : []);
const int = (field: number, value: unknown): Field[] => (typeof value === 'number' ? [Buffer.concat([key(field, 0), varint(value)])] : []);
function double(field: number, value: unknown): Field[] {
  if (typeof value !== 'number') return [];
  const buffer = Buffer.alloc(8);
  buffer.writeDoubleLE(value);
  return [Buffer.concat([key(field, 1), buffer])];
}
const message = (field: number, parts: Field[]): Field => bytesField(field, Buffer.concat(parts));
const yamlAny = (field: number, value: unknown): Field => message(field, str(2, dumpYaml(value)));

function vendorExtensions(field: number, object: JsonObject): Field[] {
  return Object.entries(object)
    .filter(([name]) => name.startsWith('x-'))
    .map(([name, value]) => message(field, [...str(1, name), yamlAny(2, value)]));
}

function schema(value: unknown): Field[] {
  const s = isObject(value) ? value : {};
  const parts: Field[] = [...str(1, s.$ref), ...str(2, s.format), ...str(3, s.title), ...str(4, s.description)];
  if (s.default !== undefined) parts.push(yamlAny(5, s.default));
  parts.push(...double(6, s.multipleOf), ...double(7, s.maximum), ...bool(8, s.exclusiveMaximum), ...double(9, s.minimum), ...bool(10, s.exclusiveMinimum));
  parts.push(...int(11, s.maxLength), ...int(12, s.minLength), ...str(13, s.pattern), ...int(14, s.maxItems), ...int(15, s.minItems), ...bool(16, s.uniqueItems));
  parts.push(...int(17, s.maxProperties), ...int(18, s.minProperties), ...strs(19, s.required));
  if (Array.isArray(s.enum)) for (const item of s.enum) parts.push(yamlAny(20, item));
  if (isObject(s.additionalProperties)) parts.push(message(21, [message(1, schema(s.additionalProperties))]));
  else if (typeof s.additionalProperties === 'boolean') parts.push(message(21, [Buffer.concat([key(2, 0), varint(s.additionalProperties ? 1 : 0)])]));
  if (typeof s.type === 'string') parts.push(message(22, str(1, s.type)));
  if (isObject(s.items)) parts.push(message(23, [message(1, schema(s.items))]));
  if (Array.isArray(s.allOf)) for (const item of s.allOf) parts.push(message(24, schema(item)));
  if (isObject(s.properties)) {
    parts.push(message(25, Object.entries(s.properties).map(([name, child]) => message(1, [...str(1, name), message(2, schema(child))]))));
  }
  parts.push(...vendorExtensions(31, s));
  return parts;
}

/** The content of a ParametersItem: a Parameter, body or not. */
function parametersItem(value: unknown): Field[] {
  const p = isObject(value) ? value : {};
  if (p.in === 'body') {
    return [message(1, [message(1, [...str(1, p.description), ...str(2, p.name), ...str(3, p.in), ...bool(4, p.required), message(5, schema(p.schema))])])];
  }
  // Query (3) and path (4) parameters share the layout of their first four fields.
  const common = [...bool(1, p.required), ...str(2, p.in), ...str(3, p.description), ...str(4, p.name)];
  const subSchema = p.in === 'path' ? message(4, [...common, ...str(5, p.type), ...bool(19, p.uniqueItems)]) : message(3, [...common, ...str(6, p.type), ...bool(20, p.uniqueItems)]);
  return [message(1, [message(2, [subSchema])])];
}

function operation(value: unknown): Field[] {
  const op = isObject(value) ? value : {};
  const responses = isObject(op.responses) ? op.responses : {};
  return [
    ...strs(1, op.tags),
    ...str(3, op.description),
    ...str(5, op.operationId),
    ...strs(6, op.produces),
    ...strs(7, op.consumes),
    ...(Array.isArray(op.parameters) ? op.parameters.map((p) => message(8, parametersItem(p))) : []),
    message(
      9,
      Object.entries(responses).map(([code, response]) => {
        const r = isObject(response) ? response : {};
        return message(1, [...str(1, code), message(2, [message(1, [...str(1, r.description), ...(r.schema ? [message(2, [message(1, schema(r.schema))])] : [])])])]);
      }),
    ),
    ...vendorExtensions(13, op),
  ];
}

const PATH_OPERATIONS: Array<[string, number]> = [
  ['get', 2],
  ['put', 3],
  ['post', 4],
  ['delete', 5],
  ['patch', 8],
];

/** The protobuf encoding of an OpenAPI v2 (Swagger) document. */
export function encodeOpenApiV2(document: JsonObject): Buffer {
  const info = isObject(document.info) ? document.info : {};
  const paths = isObject(document.paths) ? document.paths : {};
  const definitions = isObject(document.definitions) ? document.definitions : {};
  const parts: Field[] = [
    ...str(1, document.swagger),
    message(2, [...str(1, info.title), ...str(2, info.version)]),
    message(
      8,
      Object.entries(paths).map(([path, item]) => {
        const pathItem = isObject(item) ? item : {};
        const fields: Field[] = [];
        for (const [method, number] of PATH_OPERATIONS) if (isObject(pathItem[method])) fields.push(message(number, operation(pathItem[method])));
        if (Array.isArray(pathItem.parameters)) for (const p of pathItem.parameters) fields.push(message(9, parametersItem(p)));
        return message(2, [...str(1, path), message(2, fields)]);
      }),
    ),
    message(9, Object.entries(definitions).map(([name, value]) => message(1, [...str(1, name), message(2, schema(value))]))),
  ];
  return Buffer.concat(parts);
}
