/**
 * Validation of objects against their OpenAPI schema in the Kubernetes API emulator:
 * types, formats, enums, required fields, ranges and patterns, as kube-apiserver checks
 * them for custom resources. Unknown fields are reported and pruned, as decoding into
 * Go structs (built-in kinds) or structural pruning (custom resources) drops them;
 * `default` values of custom resource schemas are applied.
 *
 * A schema is compiled once into a tree of closures, shared by every cluster, so that a
 * write costs one walk over the object.
 */
import { isObject } from './json.ts';
import type { JsonObject } from './json.ts';
import type { Definitions } from './openapi.ts';
import type { ResourceType } from './resources.ts';

export interface SchemaProblem {
  field: string;
  message: string;
  reason: string;
}

export interface SchemaOutcome {
  value: unknown;
  problems: SchemaProblem[];
  /** Paths of fields the schema does not declare, like `.spec.foo`. */
  unknown: string[];
}

interface Walk {
  problems: SchemaProblem[];
  unknown: string[];
}

type Check = (value: unknown, path: string, walk: Walk) => unknown;

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
const index = (path: string, i: number): string => `${path}[${i}]`;
const mapKey = (path: string, key: string): string => `${path}[${key}]`;

function render(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return '"array"';
  if (isObject(value)) return '"object"';
  return String(value);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const INT32 = 2 ** 31;

export class SchemaCompiler {
  private readonly compiled = new Map<string, Check>();

  constructor(private readonly resolve: (ref: string) => JsonObject | undefined) {}

  /** A check for the definition `ref` (`#/components/schemas/<name>`), compiled once. */
  reference(ref: string): Check {
    const known = this.compiled.get(ref);
    if (known) return known;
    let target: Check | undefined;
    const lazy: Check = (value, path, walk) => {
      if (!target) {
        const schema = this.resolve(ref);
        target = schema ? this.compile(schema) : (v) => v;
      }
      return target(value, path, walk);
    };
    this.compiled.set(ref, lazy);
    return lazy;
  }

  compile(schema: JsonObject): Check {
    if (typeof schema.$ref === 'string') return this.reference(schema.$ref);
    const allOf = Array.isArray(schema.allOf) ? schema.allOf.filter(isObject) : [];
    const single = allOf.length === 1 && typeof allOf[0]?.$ref === 'string' && schema.type === undefined && schema.properties === undefined;
    if (single) return this.reference(String(allOf[0]?.$ref));
    const checks: Check[] = [];
    const type = typeof schema.type === 'string' ? schema.type : undefined;
    const intOrString = schema['x-kubernetes-int-or-string'] === true;
    const preserveUnknown = schema['x-kubernetes-preserve-unknown-fields'] === true;
    const embedded = schema['x-kubernetes-embedded-resource'] === true;
    const nullable = schema.nullable === true;

    if (intOrString) {
      checks.push((value, path, walk) => {
        if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) {
          walk.problems.push({ field: path, reason: 'FieldValueTypeInvalid', message: `Invalid value: ${render(value)}: ${path} in body must be of type integer,string: ${render(value)}` });
        }
        return value;
      });
    } else if (type) {
      checks.push((value, path, walk) => {
        if (value === null && nullable) return value;
        const actual = typeOf(value);
        const ok = actual === type || (type === 'number' && actual === 'integer');
        if (!ok) {
          walk.problems.push({ field: path, reason: 'FieldValueTypeInvalid', message: `Invalid value: ${render(value)}: ${path} in body must be of type ${type}: ${render(value)}` });
        }
        return value;
      });
    }
    if (schema.format === 'int32') {
      checks.push((value, path, walk) => {
        if (typeof value === 'number' && Number.isInteger(value) && (value >= INT32 || value < -INT32)) {
          walk.problems.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${path} in body must be of type int32: ${value}` });
        }
        return value;
      });
    }
    if (Array.isArray(schema.enum)) {
      const allowed = schema.enum;
      checks.push((value, path, walk) => {
        if (value !== null && !allowed.some((a) => a === value)) {
          walk.problems.push({ field: path, reason: 'FieldValueNotSupported', message: `Unsupported value: ${render(value)}: supported values: ${allowed.map(render).join(', ')}` });
        }
        return value;
      });
    }
    for (const [key, test, describe] of [
      ['maximum', (v: number, limit: number) => v <= limit || (schema.exclusiveMaximum === true && v < limit), 'less than or equal to'],
      ['minimum', (v: number, limit: number) => v >= limit || (schema.exclusiveMinimum === true && v > limit), 'greater than or equal to'],
    ] as const) {
      const limit = schema[key];
      if (typeof limit !== 'number') continue;
      checks.push((value, path, walk) => {
        if (typeof value === 'number' && !test(value, limit)) {
          walk.problems.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${path} in body should be ${describe} ${limit}` });
        }
        return value;
      });
    }
    if (typeof schema.pattern === 'string') {
      const pattern = new RegExp(schema.pattern, 'u');
      checks.push((value, path, walk) => {
        if (typeof value === 'string' && !pattern.test(value)) {
          walk.problems.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${render(value)}: ${path} in body should match '${String(schema.pattern)}'` });
        }
        return value;
      });
    }
    for (const [key, tooLong] of [['maxLength', true], ['minLength', false]] as const) {
      const limit = schema[key];
      if (typeof limit !== 'number') continue;
      checks.push((value, path, walk) => {
        if (typeof value !== 'string') return value;
        const length = [...value].length;
        if (tooLong ? length > limit : length < limit) {
          walk.problems.push(
            tooLong
              ? { field: path, reason: 'FieldValueTooLong', message: `Too long: may not be more than ${limit} bytes` }
              : { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${render(value)}: ${path} in body should be at least ${limit} chars long` },
          );
        }
        return value;
      });
    }
    for (const [key, tooMany] of [['maxItems', true], ['minItems', false]] as const) {
      const limit = schema[key];
      if (typeof limit !== 'number') continue;
      checks.push((value, path, walk) => {
        if (!Array.isArray(value)) return value;
        if (tooMany ? value.length > limit : value.length < limit) {
          walk.problems.push(
            tooMany
              ? { field: path, reason: 'FieldValueTooMany', message: `Too many: ${value.length}: must have at most ${limit} items` }
              : { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${value.length}: ${path} in body should have at least ${limit} items` },
          );
        }
        return value;
      });
    }
    for (const [key, exactlyOne] of [['anyOf', false], ['oneOf', true]] as const) {
      const branches = Array.isArray(schema[key]) ? (schema[key] as unknown[]).filter(isObject).map((b) => this.compile(b)) : [];
      if (branches.length === 0) continue;
      checks.push((value, path, walk) => {
        const matching = branches.filter((branch) => {
          const trial: Walk = { problems: [], unknown: [] };
          branch(value, path, trial);
          return trial.problems.length === 0;
        }).length;
        if (exactlyOne ? matching !== 1 : matching === 0) {
          walk.problems.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${render(value)}: ${path} in body must validate ${exactlyOne ? 'one and only one' : 'at least one'} schema (${key})` });
        }
        return value;
      });
    }
    for (const part of allOf) {
      if (typeof part.$ref === 'string' || part.properties !== undefined || part.type !== undefined) {
        const check = this.compile(part);
        checks.push(check);
      }
    }

    const properties = isObject(schema.properties) ? schema.properties : undefined;
    const additional = schema.additionalProperties;
    if (properties || isObject(additional) || type === 'object') {
      const propertyChecks = new Map<string, Check>();
      const defaults = new Map<string, unknown>();
      for (const [name, child] of Object.entries(properties ?? {})) {
        if (!isObject(child)) continue;
        propertyChecks.set(name, this.compile(child));
        if (child.default !== undefined) defaults.set(name, child.default);
      }
      const additionalCheck = isObject(additional) ? this.compile(additional) : undefined;
      const allowUnknown = preserveUnknown || additional === true || (properties === undefined && !isObject(additional));
      const required = Array.isArray(schema.required) ? schema.required.map(String) : [];
      checks.push((value, path, walk) => {
        if (!isObject(value)) return value;
        const out: JsonObject = {};
        for (const [key, child] of Object.entries(value)) {
          const check = propertyChecks.get(key);
          if (check) out[key] = check(child, join(path, key), walk);
          else if (additionalCheck) out[key] = additionalCheck(child, mapKey(path, key), walk);
          else if (allowUnknown || (embedded && (key === 'apiVersion' || key === 'kind' || key === 'metadata'))) out[key] = child;
          else walk.unknown.push(`.${join(path, key)}`);
        }
        for (const [key, fallback] of defaults) if (out[key] === undefined) out[key] = structuredClone(fallback);
        for (const key of required) {
          if (out[key] === undefined) walk.problems.push({ field: join(path, key), reason: 'FieldValueRequired', message: 'Required value' });
        }
        return out;
      });
    }
    if (isObject(schema.items)) {
      const itemCheck = this.compile(schema.items);
      checks.push((value, path, walk) => (Array.isArray(value) ? value.map((item, i) => itemCheck(item, index(path, i), walk)) : value));
    }
    return (value, path, walk) => {
      let current = value;
      for (const check of checks) current = check(current, path, walk);
      return current;
    };
  }
}

/** Validates `object` (an API object) with `check`, leaving `metadata`, `apiVersion`, `kind` and `status` to the callers. */
export function validateObject(check: Check, object: JsonObject): SchemaOutcome {
  const walk: Walk = { problems: [], unknown: [] };
  const { metadata, apiVersion, kind, status, ...rest } = object;
  const checked = check(rest, '', walk);
  const value = isObject(checked) ? { ...checked } : rest;
  for (const [key, original] of Object.entries({ apiVersion, kind, metadata, status })) if (original !== undefined) value[key] = original;
  // A property declared required by the kind (metadata for example) is the callers' business.
  const problems = walk.problems.filter((p) => !['apiVersion', 'kind', 'metadata', 'status'].includes(p.field));
  return { value, problems, unknown: walk.unknown };
}

export type { Check as SchemaCheck };

/** The compiled schema checks of a process: built-in kinds from the shared definitions, custom kinds from their CRD. */
export class Schemas {
  private readonly builtin: SchemaCompiler;

  constructor(private readonly definitions: Definitions) {
    this.builtin = new SchemaCompiler((ref) => definitions.schemas[ref.replace('#/components/schemas/', '')]);
  }

  get defs(): Definitions {
    return this.definitions;
  }

  checkFor(type: ResourceType): Check | undefined {
    if (type.custom) return type.custom.check;
    const name = this.definitions.kinds.get(`${type.apiVersion}/${type.kind}`);
    return name ? this.builtin.reference(`#/components/schemas/${name}`) : undefined;
  }
}

/** A check for a CustomResourceDefinition version's `openAPIV3Schema`. */
export function compileCustomSchema(schema: JsonObject | undefined): Check | undefined {
  if (!schema) return undefined;
  const compiler = new SchemaCompiler(() => undefined);
  return compiler.compile(schema);
}
