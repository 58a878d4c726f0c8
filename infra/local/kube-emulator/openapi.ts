/**
 * OpenAPI documents of the Kubernetes API emulator, for the kinds it serves.
 *
 * The schemas of the built-in kinds come from `kubernetes-models` (Kubernetes 1.33.0
 * OpenAPI, generated into TypeScript declarations and compiled validators). It ships no
 * OpenAPI document, so the definitions are read back from its declarations: structure,
 * required fields, enums and descriptions from the `.d.ts` files, and integer/number
 * types with their formats by asking its compiled validators. CustomResourceDefinitions
 * contribute their own `openAPIV3Schema`.
 *
 * What the declarations cannot carry is missing: the `x-kubernetes-patch-*` and
 * `x-kubernetes-list-*` extensions. The PATCH operations therefore do not offer
 * strategic merge patch, so kubectl builds its patches from its compiled-in types.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { clone, isObject } from './json.ts';
import type { JsonObject } from './json.ts';
import { BUILTIN_TYPES } from './resources.ts';
import type { ResourceRegistry, ResourceType } from './resources.ts';

const require = createRequire(import.meta.url);
const MODELS_ROOT = dirname(require.resolve('kubernetes-models/package.json'));
const APIMACHINERY_ROOT = dirname(require.resolve('@kubernetes-models/apimachinery/package.json'));

/** Definitions the API refers to besides the kinds themselves. */
const EXTRA_MODELS = [
  'autoscaling/v1/Scale',
  'authentication.k8s.io/v1/TokenRequest',
  'v1/Binding',
  '@apimachinery/apis/meta/v1/Status',
  '@apimachinery/apis/meta/v1/DeleteOptions',
  '@apimachinery/apis/meta/v1/WatchEvent',
  '@apimachinery/apis/meta/v1/APIResourceList',
];

const NAMESPACE_PREFIXES: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^IoK8sApimachineryPkgApisMetaV1(\w+)$/, (m) => `io.k8s.apimachinery.pkg.apis.meta.v1.${m[1]}`],
  [/^IoK8sApimachineryPkgApiResource(\w+)$/, (m) => `io.k8s.apimachinery.pkg.api.resource.${m[1]}`],
  [/^IoK8sApimachineryPkgUtilIntstr(\w+)$/, (m) => `io.k8s.apimachinery.pkg.util.intstr.${m[1]}`],
  [/^IoK8sApimachineryPkgRuntime(\w+)$/, (m) => `io.k8s.apimachinery.pkg.runtime.${m[1]}`],
  [/^IoK8sApimachineryPkgVersion(\w+)$/, (m) => `io.k8s.apimachinery.pkg.version.${m[1]}`],
  [/^IoK8sApiextensionsApiserverPkgApisApiextensionsV1(\w+)$/, (m) => `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.${m[1]}`],
  [/^IoK8sApi([A-Z][a-z]+)(V\d+(?:(?:alpha|beta)\d+)?)([A-Z]\w*)$/, (m) => `io.k8s.api.${(m[1] ?? '').toLowerCase()}.${(m[2] ?? '').toLowerCase()}.${m[3]}`],
];

function definitionName(camel: string): string {
  for (const [pattern, build] of NAMESPACE_PREFIXES) {
    const match = pattern.exec(camel);
    if (match) return build(match);
  }
  throw new Error(`kube-emulator: cannot name the OpenAPI definition ${camel}`);
}

/** Model path of a kind inside kubernetes-models: `v1/Pod`, `apps/v1/Deployment`. */
function modelPath(type: ResourceType): string {
  return type.group === '' ? `${type.version}/${type.kind}` : `${type.group}/${type.version}/${type.kind}`;
}

function modelFile(path: string): string {
  if (path.startsWith('@apimachinery/')) return join(APIMACHINERY_ROOT, `${path.slice('@apimachinery/'.length)}.d.ts`);
  return join(MODELS_ROOT, `${path}.d.ts`);
}

function resolveImport(fromFile: string, specifier: string): string {
  if (specifier.startsWith('@kubernetes-models/apimachinery/')) {
    return join(APIMACHINERY_ROOT, `${specifier.slice('@kubernetes-models/apimachinery/'.length)}.d.ts`);
  }
  return join(dirname(fromFile), `${specifier.replace(/\.js$/, '')}.d.ts`);
}

function unescapeDoc(comment: string): string {
  return comment
    .replace(/^\/\*\*|\*\/$/g, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim()
    .replace(/\\\*/g, '*')
    .replace(/\*\\\//g, '*/');
}

interface ParsedModel {
  file: string;
  name: string;
  /** Camel-case names imported from other files, mapped to those files. */
  imports: Map<string, string>;
  description: string | undefined;
  /** Undefined for type aliases. */
  properties?: Array<{ name: string; optional: boolean; type: string; description: string | undefined }>;
  alias?: string;
  /** The class that validates this model, for asking number formats. */
  className: string;
}

function parseModel(file: string): ParsedModel {
  const text = readFileSync(file, 'utf8');
  const imports = new Map<string, string>();
  for (const match of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) {
    if (match[1] && match[2] && !match[2].startsWith('@kubernetes-models/base')) imports.set(match[1], resolveImport(file, match[2]));
  }
  const exported = /export \{ (\w+) as (I\w+), (\w+) as \w+ \};/.exec(text);
  if (!exported?.[1] || !exported[2] || !exported[3]) throw new Error(`kube-emulator: unexpected declaration file ${file}`);
  const localName = exported[1];
  const name = definitionName(exported[2].slice(1));
  imports.set(localName, file);
  const alias = new RegExp(`(/\\*\\*(?:[^*]|\\*(?!/))*\\*/\\s*)?export declare type ${localName} = ([^;]+);`).exec(text);
  if (alias) {
    return { file, name, imports, description: alias[1] ? unescapeDoc(alias[1].trim()) : undefined, alias: alias[2] ?? '', className: exported[3] };
  }
  const body = new RegExp(`(/\\*\\*(?:[^*]|\\*(?!/))*\\*/\\s*)?export interface ${localName}(?: extends [\\w, ]+)? \\{((?:\\n[\\s\\S]*?)??)\\n\\}`).exec(text);
  if (!body) throw new Error(`kube-emulator: no interface ${localName} in ${file}`);
  const properties = parseProperties(body[2] ?? '');
  return { file, name, imports, description: body[1] ? unescapeDoc(body[1].trim()) : undefined, properties, className: exported[3] };
}

/** Properties of an interface body: doc comment, name, optionality and type text (nested comments dropped). */
function parseProperties(body: string): NonNullable<ParsedModel['properties']> {
  const out: NonNullable<ParsedModel['properties']> = [];
  let pendingDoc: string | undefined;
  let i = 0;
  while (i < body.length) {
    if (body.startsWith('/**', i)) {
      const end = body.indexOf('*/', i);
      pendingDoc = unescapeDoc(body.slice(i, end + 2));
      i = end + 2;
      continue;
    }
    if (body[i] !== '"') {
      i++;
      continue;
    }
    const nameEnd = body.indexOf('"', i + 1);
    const name = body.slice(i + 1, nameEnd);
    const optional = body[nameEnd + 1] === '?';
    let j = body.indexOf(':', nameEnd) + 1;
    let depth = 0;
    let type = '';
    while (j < body.length) {
      if (body.startsWith('/**', j)) {
        j = body.indexOf('*/', j) + 2;
        continue;
      }
      const char = body[j] ?? '';
      if (char === '{' || char === '<') depth++;
      if (char === '}' || char === '>') depth--;
      if (char === ';' && depth === 0) break;
      type += char;
      j++;
    }
    out.push({ name, optional, type: type.replace(/\s+/g, ' ').trim(), description: pendingDoc });
    pendingDoc = undefined;
    i = j + 1;
  }
  return out;
}

/** Splits `A | B` at the top level. */
function splitUnion(type: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of type) {
    if (char === '<' || char === '{') depth++;
    if (char === '>' || char === '}') depth--;
    if (char === '|' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += char;
  }
  parts.push(current.trim());
  return parts.filter((p) => p.length > 0);
}

const refTo = (name: string): JsonObject => ({ $ref: `#/components/schemas/${name}` });

export interface Definitions {
  schemas: Record<string, JsonObject>;
  /** Definition name of each built-in kind, by `apiVersion/kind`. */
  kinds: Map<string, string>;
}

class DefinitionBuilder {
  readonly schemas: Record<string, JsonObject> = {};
  private readonly byFile = new Map<string, string>();
  /** Number properties whose integer-ness and format the validators must tell. */
  readonly numberProbes: Array<{ model: ParsedModel; schema: JsonObject; properties: string[] }> = [];

  load(file: string): string {
    const known = this.byFile.get(file);
    if (known) return known;
    const model = parseModel(file);
    this.byFile.set(file, model.name);
    this.schemas[model.name] = {};
    const schema = this.modelSchema(model);
    this.schemas[model.name] = schema;
    return model.name;
  }

  private modelSchema(model: ParsedModel): JsonObject {
    const description = model.description ? { description: model.description } : {};
    if (model.alias !== undefined) {
      const parts = splitUnion(model.alias);
      if (parts.includes('number') && parts.includes('string')) {
        return model.name.endsWith('IntOrString')
          ? { ...description, type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true }
          : { ...description, type: 'string', 'x-kubernetes-int-or-string': true };
      }
      if (model.alias === 'string') {
        return { ...description, type: 'string', ...(/Time$/.test(model.name) ? { format: 'date-time' } : {}) };
      }
      return { ...description, ...this.typeSchema(model, model.alias, [model.name]) };
    }
    const properties: JsonObject = {};
    const required: string[] = [];
    const numbers: string[] = [];
    for (const property of model.properties ?? []) {
      const isTypeMeta = property.name === 'apiVersion' || property.name === 'kind';
      const typeExpr = isTypeMeta ? 'string' : property.type;
      const typeSchema = this.typeSchema(model, typeExpr, [model.name, property.name]);
      if (typeExpr === 'number') numbers.push(property.name);
      const doc = property.description ? { description: property.description } : {};
      properties[property.name] = typeSchema.$ref !== undefined ? { ...doc, allOf: [typeSchema] } : { ...doc, ...typeSchema };
      if (!property.optional && !isTypeMeta) required.push(property.name);
    }
    const schema: JsonObject = { ...description, type: 'object', properties };
    if ((model.properties ?? []).length === 0) {
      delete schema.properties;
      delete schema.type;
      schema['x-kubernetes-preserve-unknown-fields'] = true;
    }
    if (required.length > 0) schema.required = required;
    if (numbers.length > 0) this.numberProbes.push({ model, schema, properties: numbers });
    return schema;
  }

  private typeSchema(model: ParsedModel, type: string, where: string[]): JsonObject {
    const parts = splitUnion(type);
    if (parts.length > 1 && parts.every((p) => /^"[^"]*"$/.test(p))) {
      return { type: 'string', enum: parts.map((p) => p.slice(1, -1)) };
    }
    if (parts.length > 1) return {};
    if (/^"[^"]*"$/.test(type)) return { type: 'string', enum: [type.slice(1, -1)] };
    if (type === 'string') return { type: 'string' };
    if (type === 'boolean') return { type: 'boolean' };
    if (type === 'number') return { type: 'integer' };
    if (type === 'any' || type === 'unknown' || type === 'object') return { 'x-kubernetes-preserve-unknown-fields': true };
    const array = /^Array<(.*)>$/.exec(type);
    if (array) return { type: 'array', items: this.typeSchema(model, array[1] ?? '', where) };
    const map = /^\{ \[key: string\]: (.*); \}$/.exec(type);
    if (map) return { type: 'object', additionalProperties: this.typeSchema(model, map[1] ?? '', where) };
    const inline = /^\{ (.*) \}$/.exec(type);
    if (inline) {
      const properties: JsonObject = {};
      for (const member of (inline[1] ?? '').split(';').map((m) => m.trim()).filter(Boolean)) {
        const field = /^"([^"]+)"\??: (.*)$/.exec(member);
        if (field?.[1]) properties[field[1]] = this.typeSchema(model, field[2] ?? '', where);
      }
      return { type: 'object', properties };
    }
    const file = model.imports.get(type);
    if (file) return refTo(this.load(file));
    throw new Error(`kube-emulator: unsupported type ${type} at ${where.join('.')}`);
  }
}

/** Asks kubernetes-models' compiled validators whether numbers are integers, and their format. */
async function probeNumbers(builder: DefinitionBuilder): Promise<void> {
  await Promise.all(
    builder.numberProbes.map(async ({ model, schema, properties }) => {
      const module = (await import(pathToFileURL(model.file.replace(/\.d\.ts$/, '.mjs')).href)) as Record<string, unknown>;
      const ModelClass = module[model.className] as (new (data: unknown) => { validate(): void }) | undefined;
      if (!ModelClass) return;
      let errors: Array<{ instancePath?: string; keyword?: string; params?: { type?: string; format?: string } }> = [];
      try {
        new ModelClass(Object.fromEntries(properties.map((p) => [p, 0.5]))).validate();
      } catch (error) {
        errors = (error as { errors?: typeof errors }).errors ?? [];
      }
      const props = schema.properties as Record<string, JsonObject>;
      for (const property of properties) {
        const target = props[property];
        if (!target) continue;
        const about = errors.filter((e) => e.instancePath === `/${property}`);
        const typeError = about.find((e) => e.keyword === 'type');
        const formatError = about.find((e) => e.keyword === 'format');
        const itemsOf = target.type === 'array' ? (target.items as JsonObject) : target.type === 'object' && isObject(target.additionalProperties) ? target.additionalProperties : target;
        if (typeError?.params?.type === 'integer' || formatError) {
          itemsOf.type = 'integer';
          if (formatError?.params?.format) itemsOf.format = formatError.params.format;
        } else if (!typeError) {
          itemsOf.type = 'number';
          itemsOf.format = 'double';
        }
      }
    }),
  );
}

let definitions: Promise<Definitions> | undefined;

/** The built-in definitions, read once per process. */
export function builtinDefinitions(): Promise<Definitions> {
  definitions ??= (async () => {
    const builder = new DefinitionBuilder();
    const kinds = new Map<string, string>();
    for (const type of BUILTIN_TYPES) {
      if (type.view) continue;
      const name = builder.load(modelFile(modelPath(type)));
      kinds.set(`${type.apiVersion}/${type.kind}`, name);
      if (type.stored) kinds.set(`${type.apiVersion}/${type.listKind}`, builder.load(modelFile(`${modelPath(type)}List`)));
    }
    const eventsV1 = builder.load(modelFile('events.k8s.io/v1/Event'));
    kinds.set('events.k8s.io/v1/Event', eventsV1);
    kinds.set('events.k8s.io/v1/EventList', builder.load(modelFile('events.k8s.io/v1/EventList')));
    for (const extra of EXTRA_MODELS) builder.load(modelFile(extra));
    await probeNumbers(builder);
    for (const [key, name] of kinds) {
      const [kind = '', ...rest] = key.split('/').reverse();
      const apiVersion = rest.reverse().join('/');
      const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
      const schema = builder.schemas[name];
      if (schema) schema['x-kubernetes-group-version-kind'] = [{ group, kind, version }];
    }
    return { schemas: builder.schemas, kinds };
  })();
  return definitions;
}

/** Definition name of a CustomResourceDefinition version's kind, as kube-apiserver names it. */
export function customDefinitionName(type: ResourceType): string {
  const reversed = type.group.split('.').reverse().join('.');
  return `${reversed}.${type.version}.${type.kind}`;
}

/** The schema of `type` with its references, ready for validation; undefined when the kind has none. */
export function schemaRootFor(defs: Definitions, type: ResourceType): string | undefined {
  return defs.kinds.get(`${type.apiVersion}/${type.kind}`);
}

// ---------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------

interface DocumentContext {
  defs: Definitions;
  registry: ResourceRegistry;
  kubernetesVersion: string;
}

const QUERY = (name: string, description: string, type = 'string'): JsonObject => ({ name, in: 'query', description, schema: { type, uniqueItems: true } });
const COMMON_WRITE_PARAMS = [
  QUERY('dryRun', 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed'),
  QUERY('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  QUERY(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn (default) - Strict',
  ),
];

function customSchema(type: ResourceType): JsonObject {
  const schema = clone(type.custom?.schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  schema['x-kubernetes-group-version-kind'] = [{ group: type.group, kind: type.kind, version: type.version }];
  const properties = isObject(schema.properties) ? schema.properties : {};
  schema.properties = {
    ...properties,
    apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
    kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
    metadata: { allOf: [refTo('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta')], description: 'Standard object\'s metadata.' },
  };
  return schema;
}

/** Definitions reachable from `roots`, in OpenAPI v3 form. */
function collect(defs: Definitions, roots: string[], extra: Record<string, JsonObject>): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  const pending = [...roots];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (isObject(value)) {
      for (const [key, child] of Object.entries(value)) {
        if (key === '$ref' && typeof child === 'string') pending.push(child.replace('#/components/schemas/', ''));
        else visit(child);
      }
    }
  };
  for (const schema of Object.values(extra)) visit(schema);
  while (pending.length > 0) {
    const name = pending.pop() ?? '';
    if (out[name] || extra[name]) continue;
    const schema = defs.schemas[name];
    if (!schema) continue;
    out[name] = schema;
    visit(schema);
  }
  return { ...out, ...extra };
}

function operationsFor(type: ResourceType, defs: Definitions): Record<string, JsonObject> {
  const gvk = { group: type.group, version: type.version, kind: type.kind };
  const objectRef = type.custom ? customDefinitionName(type) : (defs.kinds.get(`${type.apiVersion}/${type.kind}`) ?? 'io.k8s.apimachinery.pkg.apis.meta.v1.Status');
  const listRef = type.custom ? `${customDefinitionName(type)}List` : (defs.kinds.get(`${type.apiVersion}/${type.listKind}`) ?? objectRef);
  const prefix = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
  const collection = type.namespaced ? `${prefix}/namespaces/{namespace}/${type.plural}` : `${prefix}/${type.plural}`;
  const body = (ref: string): JsonObject => ({ content: { 'application/json': { schema: refTo(ref) }, 'application/yaml': { schema: refTo(ref) } } });
  const response = (ref: string): JsonObject => ({ '200': { description: 'OK', content: { 'application/json': { schema: refTo(ref) }, 'application/yaml': { schema: refTo(ref) } } } });
  const op = (action: string, id: string, extra: JsonObject): JsonObject => ({
    description: `${action} ${type.kind}`,
    operationId: `${id}${type.kind}`,
    tags: [type.group ? `${type.group.split('.')[0]}_${type.version}` : `core_${type.version}`],
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    ...extra,
  });
  const pathParams: JsonObject[] = [
    ...(type.namespaced ? [{ name: 'namespace', in: 'path', required: true, description: 'object name and auth scope, such as for teams and projects', schema: { type: 'string', uniqueItems: true } }] : []),
  ];
  if (!type.stored) {
    return { [collection]: { parameters: pathParams, post: op('post', 'create', { parameters: COMMON_WRITE_PARAMS, requestBody: body(objectRef), responses: response(objectRef) }) } };
  }
  const itemPath = `${collection}/{name}`;
  const patchTypes = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
  return {
    [collection]: {
      parameters: pathParams,
      get: op('list', 'list', { parameters: [QUERY('labelSelector', 'A selector to restrict the list of returned objects by their labels.'), QUERY('watch', 'Watch for changes.', 'boolean')], responses: response(listRef) }),
      post: op('post', 'create', { parameters: COMMON_WRITE_PARAMS, requestBody: body(objectRef), responses: response(objectRef) }),
      ...(type.verbs.includes('deletecollection') ? { delete: op('deletecollection', 'deleteCollection', { responses: response('io.k8s.apimachinery.pkg.apis.meta.v1.Status') }) } : {}),
    },
    [itemPath]: {
      parameters: [{ name: 'name', in: 'path', required: true, description: `name of the ${type.kind}`, schema: { type: 'string', uniqueItems: true } }, ...pathParams],
      get: op('get', 'read', { responses: response(objectRef) }),
      put: op('put', 'replace', { parameters: COMMON_WRITE_PARAMS, requestBody: body(objectRef), responses: response(objectRef) }),
      patch: op('patch', 'patch', {
        parameters: [...COMMON_WRITE_PARAMS, QUERY('force', 'Force is going to "force" Apply requests.', 'boolean')],
        requestBody: { content: Object.fromEntries(patchTypes.map((t) => [t, { schema: refTo('io.k8s.apimachinery.pkg.apis.meta.v1.Patch') }])), required: true },
        responses: response(objectRef),
      }),
      delete: op('delete', 'delete', { responses: response('io.k8s.apimachinery.pkg.apis.meta.v1.Status') }),
    },
  };
}

/** Documents already built, per set of served kinds (which changes only with CRDs). */
const documents = new WeakMap<readonly ResourceType[], Map<string, JsonObject | undefined>>();

function cached(context: DocumentContext, key: string, build: () => JsonObject | undefined): JsonObject | undefined {
  const served = context.registry.all();
  let built = documents.get(served);
  if (!built) {
    built = new Map();
    documents.set(served, built);
  }
  const fullKey = `${context.kubernetesVersion}|${key}`;
  if (!built.has(fullKey)) built.set(fullKey, build());
  return built.get(fullKey);
}

/** OpenAPI v3 document of one group-version (`api/v1`, `apis/apps/v1`). */
export function groupVersionDocument(context: DocumentContext, group: string, version: string): JsonObject | undefined {
  return cached(context, `v3|${group}/${version}`, () => buildGroupVersionDocument(context, group, version));
}

function buildGroupVersionDocument(context: DocumentContext, group: string, version: string): JsonObject | undefined {
  const types = context.registry.all().filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  const extra: Record<string, JsonObject> = { 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch': { type: 'object', description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.' } };
  const roots = ['io.k8s.apimachinery.pkg.apis.meta.v1.Status', 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions'];
  let paths: Record<string, JsonObject> = {};
  for (const type of types) {
    if (type.custom) {
      const name = customDefinitionName(type);
      extra[name] = customSchema(type);
      extra[`${name}List`] = {
        type: 'object',
        required: ['items'],
        'x-kubernetes-group-version-kind': [{ group: type.group, kind: type.listKind, version: type.version }],
        properties: {
          apiVersion: { type: 'string' },
          items: { type: 'array', items: refTo(name) },
          kind: { type: 'string' },
          metadata: { allOf: [refTo('io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta')] },
        },
      };
      roots.push('io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta');
    } else {
      for (const key of [`${type.apiVersion}/${type.kind}`, `${type.apiVersion}/${type.listKind}`]) {
        const name = context.defs.kinds.get(key);
        if (name) roots.push(name);
      }
    }
    paths = { ...paths, ...operationsFor(type, context.defs) };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: context.kubernetesVersion },
    paths,
    components: {
      schemas: collect(context.defs, roots, extra),
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    },
  };
}

const hashOf = (document: unknown): string => createHash('sha512').update(JSON.stringify(document)).digest('hex').slice(0, 128).toUpperCase();

/** `/openapi/v3`: where each group-version's document is, with a content hash for caching. */
export function openApiV3Index(context: DocumentContext): JsonObject {
  return cached(context, 'v3-index', () => buildOpenApiV3Index(context)) ?? {};
}

function buildOpenApiV3Index(context: DocumentContext): JsonObject {
  const paths: JsonObject = {};
  const groupVersions = [{ group: '', version: 'v1' }, ...context.registry.groupVersions()];
  for (const { group, version } of groupVersions) {
    const path = group ? `apis/${group}/${version}` : `api/${version}`;
    const document = groupVersionDocument(context, group, version);
    if (document) paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hashOf(document)}` };
  }
  return { paths };
}

/** `$ref`s of v3 (`#/components/schemas/`) rewritten for v2 (`#/definitions/`), `allOf` wrappers undone. */
function toV2(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toV2);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string') out.$ref = child.replace('#/components/schemas/', '#/definitions/');
    else if (key === 'allOf' && Array.isArray(child) && child.length === 1 && isObject(child[0]) && typeof child[0].$ref === 'string') {
      out.$ref = child[0].$ref.replace('#/components/schemas/', '#/definitions/');
    } else out[key] = toV2(child);
  }
  return out;
}

/** `/openapi/v2`, JSON. */
export function openApiV2Document(context: DocumentContext): JsonObject {
  return cached(context, 'v2', () => buildOpenApiV2Document(context)) ?? {};
}

function buildOpenApiV2Document(context: DocumentContext): JsonObject {
  const definitions: JsonObject = {};
  const paths: JsonObject = {};
  for (const { group, version } of [{ group: '', version: 'v1' }, ...context.registry.groupVersions()]) {
    const document = groupVersionDocument(context, group, version);
    if (!document) continue;
    Object.assign(definitions, toV2((document.components as JsonObject).schemas));
    for (const [path, item] of Object.entries(document.paths as JsonObject)) {
      const operations: JsonObject = {};
      for (const [method, operation] of Object.entries(item as JsonObject)) {
        if (method === 'parameters') {
          operations.parameters = (operation as JsonObject[]).map((p) => ({ name: p.name, in: p.in, required: p.required, type: 'string', uniqueItems: true, description: p.description }));
          continue;
        }
        const op = operation as JsonObject;
        const requestBody = op.requestBody as JsonObject | undefined;
        operations[method] = {
          ...op,
          consumes: requestBody ? Object.keys(requestBody.content as JsonObject) : ['*/*'],
          produces: ['application/json', 'application/yaml'],
          parameters: [
            ...((op.parameters as JsonObject[] | undefined) ?? []).map((p) => ({ name: p.name, in: p.in, type: (p.schema as JsonObject).type, uniqueItems: true, description: p.description })),
            ...(requestBody ? [{ name: 'body', in: 'body', required: true, schema: toV2((Object.values(requestBody.content as JsonObject)[0] as JsonObject).schema) }] : []),
          ],
          responses: { '200': { description: 'OK', schema: toV2(((((op.responses as JsonObject)['200'] as JsonObject).content as JsonObject)['application/json'] as JsonObject).schema) } },
          requestBody: undefined,
        };
      }
      paths[path] = operations;
    }
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: context.kubernetesVersion },
    paths,
    definitions,
    securityDefinitions: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  };
}

export { hashOf as openApiHash };
