/**
 * Authentication, impersonation and the review APIs of the Kubernetes API emulator. Each
 * cluster has an admin bearer token (`kubernetes-admin` in `system:masters`);
 * ServiceAccount tokens from the TokenRequest API (`kubectl create token`) are ES256
 * JWTs signed with the emulator CA's key and are accepted as their ServiceAccount for as
 * long as it exists and the token has not expired. What a user may do is RBAC's to say
 * (rbac.ts), and the access reviews answer from the same authorizer.
 */
import { createPrivateKey, createPublicKey, sign, timingSafeEqual, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { ClusterState } from './cluster.ts';
import { errors } from './errors.ts';
import { isObject, kubeTimestamp } from './json.ts';
import type { JsonObject, KubeObject } from './json.ts';
import { aggregate, authorize, requestForbidden, resourceAttributes, rulesFor } from './rbac.ts';
import type { Attributes, PolicyRule } from './rbac.ts';
import { builtinOfKind } from './resources.ts';
import type { ResourceType } from './resources.ts';

const SERVICE_ACCOUNT = builtinOfKind('ServiceAccount');
const ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export const ADMIN: UserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };

const b64 = (value: Buffer | string): string => Buffer.from(value).toString('base64url');

export class TokenAuthority {
  private readonly key: KeyObject;
  private readonly publicKey: KeyObject;

  constructor(keyPem: string) {
    this.key = createPrivateKey(keyPem);
    this.publicKey = createPublicKey(this.key);
  }

  issue(claims: JsonObject): string {
    const header = b64(JSON.stringify({ alg: 'ES256', kid: 'kube-emulator' }));
    const payload = b64(JSON.stringify(claims));
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: this.key, dsaEncoding: 'ieee-p1363' });
    return `${header}.${payload}.${b64(signature)}`;
  }

  /** The claims of a token this authority signed, or undefined. */
  claims(token: string): JsonObject | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header = '', payload = '', signature = ''] = parts;
    const valid = verify('sha256', Buffer.from(`${header}.${payload}`), { key: this.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
    if (!valid) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
      return isObject(claims) ? claims : undefined;
    } catch {
      return undefined;
    }
  }
}

function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Who `token` is on `cluster`, or undefined when it is not valid there. */
export function authenticate(cluster: ClusterState, authority: TokenAuthority, token: string): UserInfo | undefined {
  if (sameSecret(cluster.token, token)) return ADMIN;
  const claims = authority.claims(token);
  if (!claims) return undefined;
  if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) return undefined;
  const scope = isObject(claims['kubernetes.io']) ? claims['kubernetes.io'] : {};
  const account = isObject(scope.serviceaccount) ? scope.serviceaccount : {};
  const namespace = String(scope.namespace ?? '');
  const name = String(account.name ?? '');
  const serviceAccount = cluster.peek(SERVICE_ACCOUNT, namespace, name);
  if (!serviceAccount || serviceAccount.metadata.uid !== account.uid) return undefined;
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    uid: serviceAccount.metadata.uid,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}

/** `POST .../serviceaccounts/<name>/token` */
export function requestToken(cluster: ClusterState, authority: TokenAuthority, namespace: string, name: string, body: unknown): KubeObject {
  const serviceAccount = cluster.peek(SERVICE_ACCOUNT, namespace, name);
  if (!serviceAccount) throw errors.notFound(SERVICE_ACCOUNT, name);
  const spec = isObject(body) && isObject(body.spec) ? body.spec : {};
  const expirationSeconds = typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : 3600;
  if (expirationSeconds < 600) {
    throw errors.invalid({ group: 'authentication.k8s.io', plural: 'tokenrequests', kind: 'TokenRequest' }, name, [
      { field: 'spec.expirationSeconds', message: 'Invalid value: may not specify a duration less than 10 minutes' },
    ]);
  }
  const audiences = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences.map(String) : [ISSUER];
  const now = Math.floor(Date.now() / 1000);
  const expires = now + expirationSeconds;
  const token = authority.issue({
    aud: audiences,
    exp: expires,
    iat: now,
    nbf: now,
    iss: ISSUER,
    sub: `system:serviceaccount:${namespace}:${name}`,
    'kubernetes.io': { namespace, serviceaccount: { name, uid: serviceAccount.metadata.uid } },
  });
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: kubeTimestamp() },
    spec: { audiences, expirationSeconds, boundObjectRef: isObject(spec.boundObjectRef) ? spec.boundObjectRef : null },
    status: { token, expirationTimestamp: kubeTimestamp(new Date(expires * 1000)) },
  };
}

const SERVICE_ACCOUNT_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;
const serviceAccountGroups = (namespace: string): string[] => ['system:serviceaccounts', `system:serviceaccounts:${namespace}`];

/**
 * Who a request acts as with `Impersonate-User`/`-Group`/`-Uid` headers (`kubectl --as`,
 * `--as-group`), after checking that the requester may `impersonate` each, as the API
 * server's impersonation filter does; undefined when the request impersonates no one.
 */
export function impersonate(cluster: ClusterState, requester: UserInfo, headers: Record<string, string | string[] | undefined>): UserInfo | undefined {
  const values = (name: string): string[] => {
    const value = headers[name];
    return (Array.isArray(value) ? value : value !== undefined ? [value] : []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  };
  const [username] = values('impersonate-user');
  const groupsAsked = values('impersonate-group');
  const [uid] = values('impersonate-uid');
  if (username === undefined) {
    // kube-apiserver answers this with a 500 too.
    if (groupsAsked.length > 0 || uid !== undefined) throw errors.internal(`requested [${[...groupsAsked, ...(uid ? [uid] : [])].join(' ')}] without impersonating a user`);
    return undefined;
  }
  const checks: Attributes[] = [];
  let groups = [...groupsAsked];
  const account = SERVICE_ACCOUNT_USER.exec(username);
  if (account) {
    const [, namespace = '', name = ''] = account;
    checks.push(resourceAttributes(requester, 'impersonate', '', 'serviceaccounts', namespace, name));
    if (groupsAsked.length === 0) groups = serviceAccountGroups(namespace);
  } else checks.push(resourceAttributes(requester, 'impersonate', '', 'users', '', username));
  for (const group of groupsAsked) checks.push(resourceAttributes(requester, 'impersonate', '', 'groups', '', group));
  if (uid !== undefined) checks.push(resourceAttributes(requester, 'impersonate', 'authentication.k8s.io', 'uids', '', uid));
  for (const check of checks) {
    const decision = authorize(cluster, check);
    if (!decision.allowed) throw requestForbidden(check, decision.reason);
  }
  if (username !== 'system:anonymous') {
    if (!groups.includes('system:authenticated') && !groups.includes('system:unauthenticated')) groups.push('system:authenticated');
  } else if (!groups.includes('system:unauthenticated')) groups.push('system:unauthenticated');
  return { username, groups, ...(uid !== undefined ? { uid } : {}) };
}

/** The attributes a SubjectAccessReview-style spec asks about, for `user`. */
function reviewedAttributes(user: UserInfo, spec: JsonObject): Attributes {
  if (isObject(spec.nonResourceAttributes)) {
    const attributes = spec.nonResourceAttributes;
    return { ...resourceAttributes(user, String(attributes.verb ?? ''), '', ''), resourceRequest: false, path: String(attributes.path ?? '') };
  }
  const attributes = isObject(spec.resourceAttributes) ? spec.resourceAttributes : {};
  const text = (key: string): string => (typeof attributes[key] === 'string' ? (attributes[key] as string) : '');
  return { ...resourceAttributes(user, text('verb'), text('group'), text('resource'), text('namespace'), text('name'), text('subresource')), apiVersion: text('version') };
}

function accessStatus(cluster: ClusterState, attributes: Attributes): JsonObject {
  const decision = authorize(cluster, attributes);
  return { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) };
}

const resourceRule = (rule: PolicyRule): JsonObject => ({
  verbs: rule.verbs,
  ...(rule.apiGroups ? { apiGroups: rule.apiGroups } : {}),
  ...(rule.resources ? { resources: rule.resources } : {}),
  ...(rule.resourceNames ? { resourceNames: rule.resourceNames } : {}),
});

function reviewInvalid(type: ResourceType, field: string, message: string, reason = 'FieldValueRequired'): never {
  throw errors.invalid(type, '', [{ field, message, reason }]);
}

const ONE_OF_ATTRIBUTES = 'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified';

/** Who a SubjectAccessReview-style spec asks about; one of user or groups is required. */
function reviewedSubject(type: ResourceType, spec: JsonObject): UserInfo {
  const groups = Array.isArray(spec.groups) ? spec.groups.map(String) : [];
  if (!spec.user && groups.length === 0) reviewInvalid(type, 'spec.user', 'Invalid value: "": at least one of user or group must be specified', 'FieldValueInvalid');
  return { username: String(spec.user ?? ''), groups, ...(typeof spec.uid === 'string' ? { uid: spec.uid } : {}) };
}

/** The answer to a review the emulator does not store (SelfSubjectAccessReview and friends). */
export function review(cluster: ClusterState, authority: TokenAuthority, type: ResourceType, body: unknown, user: UserInfo, namespace?: string): KubeObject {
  const kind = type.kind;
  const request = isObject(body) ? body : {};
  const spec = isObject(request.spec) ? request.spec : {};
  const metadata = isObject(request.metadata) ? request.metadata : {};
  const base: KubeObject = { kind, apiVersion: type.apiVersion, metadata: { ...metadata } };
  const asksSomething = isObject(spec.resourceAttributes) || isObject(spec.nonResourceAttributes);
  switch (kind) {
    case 'SelfSubjectAccessReview':
      if (!asksSomething) reviewInvalid(type, 'spec.resourceAttributes', ONE_OF_ATTRIBUTES);
      return { ...base, spec, status: accessStatus(cluster, reviewedAttributes(user, spec)) };
    case 'SubjectAccessReview': {
      if (!asksSomething) reviewInvalid(type, 'spec.resourceAttributes', ONE_OF_ATTRIBUTES);
      return { ...base, spec, status: accessStatus(cluster, reviewedAttributes(reviewedSubject(type, spec), spec)) };
    }
    case 'LocalSubjectAccessReview': {
      if (isObject(spec.nonResourceAttributes)) reviewInvalid(type, 'spec.nonResourceAttributes', 'Invalid value: "": disallowed on this kind of request', 'FieldValueInvalid');
      if (!isObject(spec.resourceAttributes)) reviewInvalid(type, 'spec.resourceAttributes', ONE_OF_ATTRIBUTES);
      const subject = reviewedSubject(type, spec);
      // An empty namespace is the one the review was posted to.
      const attributes = { ...spec.resourceAttributes, namespace: spec.resourceAttributes.namespace || namespace };
      if (attributes.namespace !== namespace) throw errors.badRequest(`spec.resourceAttributes.namespace must match namespace: ${namespace ?? ''}`);
      const reviewed = { ...spec, resourceAttributes: attributes };
      return { ...base, metadata: { ...metadata, namespace }, spec: reviewed, status: accessStatus(cluster, reviewedAttributes(subject, reviewed)) };
    }
    case 'SelfSubjectRulesReview': {
      const reviewedNamespace = typeof spec.namespace === 'string' ? spec.namespace : '';
      const { rules, errors: problems } = rulesFor(cluster, user, reviewedNamespace);
      const resourceRules = rules.filter((r) => !r.nonResourceURLs?.length).map(resourceRule);
      const nonResourceRules = rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }));
      return {
        ...base,
        spec,
        status: {
          resourceRules,
          nonResourceRules,
          incomplete: problems.length > 0,
          ...(problems.length > 0 ? { evaluationError: aggregate(problems) } : {}),
        },
      };
    }
    case 'SelfSubjectReview':
      return { ...base, status: { userInfo: user } };
    case 'TokenReview': {
      const token = typeof spec.token === 'string' ? spec.token : '';
      const reviewed = token ? authenticate(cluster, authority, token) : undefined;
      return {
        ...base,
        spec,
        status: reviewed ? { authenticated: true, user: reviewed, audiences: Array.isArray(spec.audiences) ? spec.audiences : [ISSUER] } : { authenticated: false, error: 'invalid bearer token' },
      };
    }
    default:
      throw errors.methodNotAllowed();
  }
}
