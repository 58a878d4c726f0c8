/**
 * RBAC of the Kubernetes API emulator, as kube-apiserver's RBAC authorizer decides: a
 * request's attributes are derived from its method and path (RequestInfoFactory's
 * rules), and it is allowed when a ClusterRoleBinding, or a RoleBinding in its
 * namespace, binds a role with a rule that covers it to the user, one of its groups or
 * its ServiceAccount. Members of `system:masters` are allowed everything without a look
 * at RBAC, as the API server's privileged-group authorizer allows them.
 *
 * Also here: the rule resolution behind SelfSubjectRulesReview, and the privilege
 * escalation checks the RBAC REST storage makes on writes of roles and bindings.
 */
import type { UserInfo } from './auth.ts';
import type { ClusterState } from './cluster.ts';
import { errors } from './errors.ts';
import type { ApiError } from './errors.ts';
import { deepEqual, isObject } from './json.ts';
import type { KubeObject } from './json.ts';
import { builtinOfKind } from './resources.ts';
import type { ResourceType } from './resources.ts';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const CLUSTER_ROLE = builtinOfKind('ClusterRole', RBAC_GROUP);
export const CLUSTER_ROLE_BINDING = builtinOfKind('ClusterRoleBinding', RBAC_GROUP);
export const ROLE = builtinOfKind('Role', RBAC_GROUP);
export const ROLE_BINDING = builtinOfKind('RoleBinding', RBAC_GROUP);

export const PRIVILEGED_GROUP = 'system:masters';
export const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

/** What the authorizer decides on: authorizer.Attributes. */
export interface Attributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  /** Non-resource requests: the URL path. */
  path: string;
  namespace: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  name: string;
}

export interface Decision {
  allowed: boolean;
  /** `RBAC: allowed by …` when allowed; resolution errors (a missing role) when not. */
  reason: string;
}

export const isPrivileged = (user: UserInfo): boolean => user.groups.includes(PRIVILEGED_GROUP);

const SPECIAL_VERBS = new Set(['proxy', 'watch']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** `metadata.name=<x>` (or `==`) in a field selector: a list or watch of one object, authorized by name. */
function exactName(fieldSelector: string | null): string | undefined {
  if (!fieldSelector) return undefined;
  for (const term of fieldSelector.split(',')) {
    const match = /^\s*metadata\.name\s*==?\s*(.*?)\s*$/.exec(term);
    const name = match?.[1];
    if (name && name !== '.' && name !== '..' && !/[/%]/.test(name)) return name;
  }
  return undefined;
}

/** The attributes kube-apiserver derives from a request (k8s.io/apiserver RequestInfoFactory). */
export function requestAttributes(user: UserInfo, method: string, path: string, query: URLSearchParams): Attributes {
  const attributes: Attributes = { user, verb: method.toLowerCase(), resourceRequest: false, path, namespace: '', apiGroup: '', apiVersion: '', resource: '', subresource: '', name: '' };
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  const decode = (segment: string): string => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  };
  let parts = trimmed ? trimmed.split('/').map(decode) : [];
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return attributes;
  const groupless = parts[0] === 'api';
  parts = parts.slice(1);
  if (!groupless) {
    if (parts.length < 3) return attributes;
    attributes.apiGroup = parts[0] ?? '';
    parts = parts.slice(1);
  }
  attributes.resourceRequest = true;
  attributes.apiVersion = parts[0] ?? '';
  parts = parts.slice(1);
  const first = parts[0] ?? '';
  if (SPECIAL_VERBS.has(first) && parts.length >= 2) {
    attributes.verb = first;
    parts = parts.slice(1);
  } else {
    attributes.verb = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method.toUpperCase()] ?? '';
  }
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      attributes.namespace = parts[1] ?? '';
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) parts = parts.slice(2);
    }
  }
  const [resource = '', name = '', subresource = ''] = parts;
  attributes.resource = resource;
  attributes.name = name;
  if (parts.length >= 3 && attributes.verb !== 'proxy') attributes.subresource = subresource;
  if (!attributes.name && attributes.verb === 'get') {
    const watch = query.get('watch');
    attributes.verb = watch !== null && !['false', '0'].includes(watch.toLowerCase()) ? 'watch' : 'list';
    attributes.name = exactName(query.get('fieldSelector')) ?? '';
  }
  if (!attributes.name && attributes.verb === 'delete') attributes.verb = 'deletecollection';
  return attributes;
}

/** Attributes of a resource check that is not a request (reviews, bind and escalate checks). */
export function resourceAttributes(user: UserInfo, verb: string, apiGroup: string, resource: string, namespace = '', name = '', subresource = ''): Attributes {
  return { user, verb, resourceRequest: true, path: '', namespace, apiGroup, apiVersion: '*', resource, subresource, name };
}

// ---------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

export function rulesOf(role: KubeObject | undefined): PolicyRule[] {
  const rules = role && Array.isArray(role.rules) ? role.rules.filter(isObject) : [];
  return rules.map((rule) => ({
    verbs: strings(rule.verbs),
    ...(rule.apiGroups !== undefined ? { apiGroups: strings(rule.apiGroups) } : {}),
    ...(rule.resources !== undefined ? { resources: strings(rule.resources) } : {}),
    ...(rule.resourceNames !== undefined ? { resourceNames: strings(rule.resourceNames) } : {}),
    ...(rule.nonResourceURLs !== undefined ? { nonResourceURLs: strings(rule.nonResourceURLs) } : {}),
  }));
}

function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  return (rule.resources ?? []).some(
    (resource) => resource === '*' || resource === combined || (subresource !== '' && resource.length === subresource.length + 2 && resource === `*/${subresource}`),
  );
}

const urlMatches = (pattern: string, url: string): boolean => pattern === '*' || pattern === url || (pattern.endsWith('*') && url.startsWith(pattern.replace(/\*+$/, '')));

/** rbac.RuleAllows */
export function ruleAllows(attributes: Attributes, rule: PolicyRule): boolean {
  const verbMatches = rule.verbs.includes('*') || rule.verbs.includes(attributes.verb);
  if (!verbMatches) return false;
  if (!attributes.resourceRequest) return (rule.nonResourceURLs ?? []).some((pattern) => urlMatches(pattern, attributes.path));
  const combined = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : attributes.resource;
  const groups = rule.apiGroups ?? [];
  const names = rule.resourceNames ?? [];
  return (
    (groups.includes('*') || groups.includes(attributes.apiGroup)) &&
    resourceMatches(rule, combined, attributes.subresource) &&
    (names.length === 0 || names.includes(attributes.name))
  );
}

function subjectsOf(binding: KubeObject): Subject[] {
  return (Array.isArray(binding.subjects) ? binding.subjects.filter(isObject) : []).map((s) => ({
    kind: String(s.kind ?? ''),
    name: String(s.name ?? ''),
    ...(typeof s.namespace === 'string' && s.namespace ? { namespace: s.namespace } : {}),
  }));
}

function appliesTo(user: UserInfo, subject: Subject, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.username === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      // A subject without a namespace means the binding's own.
      const namespace = subject.namespace ?? bindingNamespace;
      return namespace !== '' && user.username === `system:serviceaccount:${namespace}:${subject.name}`;
    }
    default:
      return false;
  }
}

function describeSubject(subject: Subject, bindingNamespace: string): string {
  if (subject.kind === 'ServiceAccount') return `${subject.kind} "${subject.name}/${subject.namespace ?? bindingNamespace}"`;
  return `${subject.kind} "${subject.name}"`;
}

interface RoleRef {
  apiGroup: string;
  kind: string;
  name: string;
}

const roleRefOf = (binding: KubeObject): RoleRef => {
  const ref = isObject(binding.roleRef) ? binding.roleRef : {};
  return { apiGroup: String(ref.apiGroup ?? ''), kind: String(ref.kind ?? ''), name: String(ref.name ?? '') };
};

/** The rules a role reference grants in `namespace`, or the error a lister's miss gives. */
export function roleReferenceRules(cluster: ClusterState, ref: RoleRef, namespace: string): { rules: PolicyRule[]; error?: string } {
  if (ref.kind === 'ClusterRole') {
    const role = cluster.peek(CLUSTER_ROLE, undefined, ref.name);
    return role ? { rules: rulesOf(role) } : { rules: [], error: `clusterrole.rbac.authorization.k8s.io "${ref.name}" not found` };
  }
  if (ref.kind === 'Role') {
    const role = cluster.peek(ROLE, namespace, ref.name);
    return role ? { rules: rulesOf(role) } : { rules: [], error: `role.rbac.authorization.k8s.io "${ref.name}" not found` };
  }
  return { rules: [], error: `unsupported role reference kind: "${ref.kind}"` };
}

const byName = (a: KubeObject, b: KubeObject): number => String(a.metadata.name).localeCompare(String(b.metadata.name));

/**
 * Visits the rules that apply to `user` in `namespace` (the cluster's first, then the
 * namespace's), with a description of where each comes from, until `visit` says stop.
 */
function visitRules(cluster: ClusterState, user: UserInfo, namespace: string, visit: (source: string, rule: PolicyRule) => boolean, problems: string[]): void {
  for (const binding of [...cluster.scan(CLUSTER_ROLE_BINDING)].sort(byName)) {
    const subject = subjectsOf(binding).find((s) => appliesTo(user, s, ''));
    if (!subject) continue;
    const ref = roleRefOf(binding);
    const { rules, error } = roleReferenceRules(cluster, ref, '');
    if (error) problems.push(error);
    const source = `ClusterRoleBinding "${binding.metadata.name ?? ''}" of ${ref.kind} "${ref.name}" to ${describeSubject(subject, '')}`;
    for (const rule of rules) if (!visit(source, rule)) return;
  }
  if (!namespace) return;
  for (const binding of [...cluster.scan(ROLE_BINDING, namespace)].sort(byName)) {
    const subject = subjectsOf(binding).find((s) => appliesTo(user, s, namespace));
    if (!subject) continue;
    const ref = roleRefOf(binding);
    const { rules, error } = roleReferenceRules(cluster, ref, namespace);
    if (error) problems.push(error);
    const source = `RoleBinding "${binding.metadata.name ?? ''}/${namespace}" of ${ref.kind} "${ref.name}" to ${describeSubject(subject, namespace)}`;
    for (const rule of rules) if (!visit(source, rule)) return;
  }
}

/** utilerrors.NewAggregate(...).Error() */
export const aggregate = (messages: string[]): string => (messages.length === 1 ? (messages[0] ?? '') : `[${messages.join(', ')}]`);

/** The RBAC authorizer's decision; `system:masters` is allowed before RBAC is asked. */
export function authorize(cluster: ClusterState, attributes: Attributes): Decision {
  if (isPrivileged(attributes.user)) return { allowed: true, reason: '' };
  const problems: string[] = [];
  let allowedBy: string | undefined;
  visitRules(
    cluster,
    attributes.user,
    attributes.namespace,
    (source, rule) => {
      if (!ruleAllows(attributes, rule)) return true;
      allowedBy = source;
      return false;
    },
    problems,
  );
  if (allowedBy) return { allowed: true, reason: `RBAC: allowed by ${allowedBy}` };
  return { allowed: false, reason: problems.length > 0 ? `RBAC: ${aggregate(problems)}` : '' };
}

/** Every rule that applies to `user` in `namespace`, and the errors met resolving them (SelfSubjectRulesReview). */
export function rulesFor(cluster: ClusterState, user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
  const rules: PolicyRule[] = [];
  const problems: string[] = [];
  visitRules(
    cluster,
    user,
    namespace,
    (_source, rule) => {
      rules.push(rule);
      return true;
    },
    problems,
  );
  return { rules, errors: problems };
}

/** The refusal of a request the authorizer did not allow, as responsewriters.Forbidden writes it. */
export function requestForbidden(attributes: Attributes, reason: string): ApiError {
  const user = attributes.user.username;
  let message: string;
  if (!attributes.resourceRequest) message = `User "${user}" cannot ${attributes.verb} path "${attributes.path}"`;
  else {
    const resource = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : attributes.resource;
    const scope = attributes.namespace ? `in the namespace "${attributes.namespace}"` : 'at the cluster scope';
    message = `User "${user}" cannot ${attributes.verb} resource "${resource}" in API group "${attributes.apiGroup}" ${scope}`;
  }
  if (reason) message = `${message}: ${reason}`;
  return attributes.resourceRequest ? errors.forbiddenResource(attributes.apiGroup, attributes.resource, attributes.name, message) : errors.forbiddenResource('', '', '', message);
}

/**
 * A patch that creates its object (server-side apply) is authorized for `create` too, as
 * the patch handler's create validation does; its refusal carries only the authorizer's
 * reason (often none), as kube-apiserver's does.
 */
export function authorizeCreateOnPatch(cluster: ClusterState, user: UserInfo, type: ResourceType, namespace: string | undefined, name: string): void {
  const decision = authorize(cluster, resourceAttributes(user, 'create', type.group, type.plural, type.namespaced ? (namespace ?? '') : '', name));
  if (!decision.allowed) throw errors.forbiddenResource(type.group, type.plural, name, decision.reason);
}

// ---------------------------------------------------------------------------
// Privilege escalation (the RBAC REST storage's checks)
// ---------------------------------------------------------------------------

/** validation.BreakdownRule: one rule per group, resource, verb and name. */
function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        const names = rule.resourceNames ?? [];
        if (names.length > 0) for (const name of names) out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
        else out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) for (const verb of rule.verbs) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

const hasAll = (set: string[], wanted: string[]): boolean => wanted.every((w) => set.includes(w));

function resourceCoversAll(owned: string[], wanted: string[]): boolean {
  if (owned.includes('*') || hasAll(owned, wanted)) return true;
  return wanted.every((path) => owned.includes(path) || (path.includes('/') && owned.includes(`*/${path.slice(path.indexOf('/') + 1)}`)));
}

/** validation.ruleCovers */
function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = owner.verbs.includes('*') || hasAll(owner.verbs, sub.verbs);
  const groups = (owner.apiGroups ?? []).includes('*') || hasAll(owner.apiGroups ?? [], sub.apiGroups ?? []);
  const resources = resourceCoversAll(owner.resources ?? [], sub.resources ?? []);
  const urls = (sub.nonResourceURLs ?? []).every((url) => (owner.nonResourceURLs ?? []).some((pattern) => pattern === url || (pattern.endsWith('*') && url.startsWith(pattern.replace(/\*+$/, '')))));
  const ownerNames = owner.resourceNames ?? [];
  const subNames = sub.resourceNames ?? [];
  const names = subNames.length === 0 ? ownerNames.length === 0 : ownerNames.length === 0 || hasAll(ownerNames, subNames);
  return verbs && groups && resources && urls && names;
}

/** validation.CompactRules: simple rules on one group and resource that differ only by verb become one. */
function compact(rules: PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const rule of rules) {
    const isSimple = rule.apiGroups?.length === 1 && rule.resources?.length === 1 && !rule.resourceNames?.length && !rule.nonResourceURLs?.length;
    if (!isSimple) {
      out.push(rule);
      continue;
    }
    const key = `${rule.apiGroups?.[0] ?? ''}\u0000${rule.resources?.[0] ?? ''}`;
    const existing = simple.get(key);
    if (existing) existing.verbs.push(...rule.verbs.filter((v) => !existing.verbs.includes(v)));
    else {
      const copy = { ...rule, verbs: [...rule.verbs] };
      simple.set(key, copy);
      out.push(copy);
    }
  }
  return out;
}

const goQuoted = (values: string[]): string => `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;

/** rbacv1helpers.CompactString */
function compactString(rule: PolicyRule): string {
  const parts: string[] = [];
  if (rule.apiGroups?.length) parts.push(`APIGroups:${goQuoted(rule.apiGroups)}`);
  if (rule.resources?.length) parts.push(`Resources:${goQuoted(rule.resources)}`);
  if (rule.nonResourceURLs?.length) parts.push(`NonResourceURLs:${goQuoted(rule.nonResourceURLs)}`);
  if (rule.resourceNames?.length) parts.push(`ResourceNames:${goQuoted(rule.resourceNames)}`);
  if (rule.verbs.length) parts.push(`Verbs:${goQuoted(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** validation.ConfirmNoEscalation: undefined when `user` holds every rule in `rules` in `namespace`, else why not. */
export function escalation(cluster: ClusterState, user: UserInfo, namespace: string, rules: PolicyRule[]): string | undefined {
  const owned = rulesFor(cluster, user, namespace);
  const missing = rules.flatMap(breakdown).filter((sub) => !owned.rules.some((owner) => ruleCovers(owner, sub)));
  if (missing.length === 0) return undefined;
  const descriptions = [...new Set(compact(missing).map(compactString))].sort();
  let message = `user "${user.username}" (groups=${goQuoted(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${descriptions.join('\n')}`;
  if (owned.errors.length > 0) message += `; resolution errors: [${aggregate(owned.errors)}]`;
  return message;
}

/** rest.IsOnlyMutatingGCFields: an update that only moves owner references or finalizers is not checked. */
function onlyGarbageCollectionFields(object: KubeObject, previous: KubeObject): boolean {
  const strip = (o: KubeObject): KubeObject => {
    const { ownerReferences: _owners, finalizers: _finalizers, managedFields: _managed, resourceVersion: _version, generation: _generation, ...metadata } = o.metadata;
    return { ...o, metadata };
  };
  return deepEqual(strip(object), strip(previous));
}

const AGGREGATION_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

/**
 * Refuses a write of a role or binding that would give away more than `user` holds, as
 * the RBAC REST storage does: a role needs its creator to hold every rule it grants (or
 * `escalate` on it), and a binding needs `bind` on the role it references or every
 * permission of that role in the binding's namespace.
 */
export function checkEscalation(cluster: ClusterState, user: UserInfo, type: ResourceType, object: KubeObject, previous: KubeObject | undefined): void {
  if (type.group !== RBAC_GROUP || isPrivileged(user)) return;
  if (previous && onlyGarbageCollectionFields(object, previous)) return;
  const namespace = type.namespaced ? (object.metadata.namespace ?? '') : '';
  const name = object.metadata.name ?? '';
  const refuse = (message: string): never => {
    throw errors.forbiddenResource(RBAC_GROUP, type.plural, name, message);
  };
  if (type.kind === 'Role' || type.kind === 'ClusterRole') {
    if (authorize(cluster, resourceAttributes(user, 'escalate', RBAC_GROUP, type.plural, namespace, previous ? name : '')).allowed) return;
    const missing = escalation(cluster, user, namespace, rulesOf(object));
    if (missing) refuse(missing);
    if (type.kind === 'ClusterRole' && isObject(object.aggregationRule) && escalation(cluster, user, namespace, AGGREGATION_AUTHORITY)) {
      refuse('must have cluster-admin privileges to use the aggregationRule');
    }
    return;
  }
  if (type.kind === 'RoleBinding' || type.kind === 'ClusterRoleBinding') {
    const ref = roleRefOf(object);
    const resource = ref.kind === 'ClusterRole' ? 'clusterroles' : ref.kind === 'Role' ? 'roles' : '';
    if (resource && authorize(cluster, resourceAttributes(user, 'bind', ref.apiGroup, resource, namespace, ref.name)).allowed) return;
    const { rules, error } = roleReferenceRules(cluster, ref, namespace);
    if (error) refuse(error);
    const missing = escalation(cluster, user, namespace, rules);
    if (missing) refuse(missing);
  }
}
