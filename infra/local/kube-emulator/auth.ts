/**
 * Authentication and the review APIs of the Kubernetes API emulator. Each cluster has an
 * admin bearer token; ServiceAccount tokens from the TokenRequest API (`kubectl create
 * token`) are ES256 JWTs signed with the emulator CA's key and are accepted as their
 * ServiceAccount for as long as it exists and the token has not expired. Every
 * authenticated request is allowed (RBAC objects are stored, not enforced), and the
 * access reviews say so.
 */
import { createPrivateKey, createPublicKey, sign, timingSafeEqual, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { ClusterState } from './cluster.ts';
import { errors } from './errors.ts';
import { isObject, kubeTimestamp } from './json.ts';
import type { JsonObject, KubeObject } from './json.ts';
import { builtinOfKind } from './resources.ts';
import type { ResourceType } from './resources.ts';

const SERVICE_ACCOUNT = builtinOfKind('ServiceAccount');
const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const ALLOWED_REASON = 'the Kubernetes API emulator allows every authenticated request';

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

/** The answer to a review the emulator does not store (SelfSubjectAccessReview and friends). */
export function review(cluster: ClusterState, authority: TokenAuthority, type: ResourceType, body: unknown, user: UserInfo): KubeObject {
  const kind = type.kind;
  const request = isObject(body) ? body : {};
  const spec = isObject(request.spec) ? request.spec : {};
  const metadata = isObject(request.metadata) ? request.metadata : {};
  const base: KubeObject = { kind, apiVersion: type.apiVersion, metadata: { ...metadata } };
  switch (kind) {
    case 'SelfSubjectAccessReview':
    case 'SubjectAccessReview':
    case 'LocalSubjectAccessReview':
      return { ...base, spec, status: { allowed: true, reason: ALLOWED_REASON } };
    case 'SelfSubjectRulesReview':
      return {
        ...base,
        spec,
        status: {
          resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
          nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
          incomplete: false,
        },
      };
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
