import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * Bearer tokens for the Kubernetes API of an EKS cluster, the way `aws eks get-token`
 * and aws-iam-authenticator make them: `k8s-aws-v1.` + base64url (no padding) of a
 * presigned STS `GetCallerIdentity` URL whose signature covers the `x-k8s-aws-id`
 * header (= the cluster name). The API server's authenticator calls that URL and maps
 * the returned ARN to a Kubernetes identity (access entries / aws-auth).
 *
 * EKS accepts such a token for 15 minutes after its signing time (independently of
 * X-Amz-Expires, which must be 60); we hand out the same token for 14 minutes so a
 * caller never gets one that expires mid-request.
 */

/** AWS credentials (structurally the SDK's `AwsCredentialIdentity`). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** How long one token is reused (EKS honours it for 15 minutes). */
export const EKS_TOKEN_REUSE_MS = 14 * 60 * 1000;

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 / HMAC-SHA-256 over node:crypto in the shape SignatureV4 expects (a smithy `Checksum`). */
class NodeSha256 {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }

  update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }

  reset(): void {
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
}

/** The regional STS host (China regions live under amazonaws.com.cn). */
export function stsHostname(region: string): string {
  return `sts.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/** RFC 3986 escaping, the same one SigV4 uses for the canonical query string. */
function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function formatQuery(query: Record<string, string | Array<string | null> | null | undefined>): string {
  const parts: string[] = [];
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    if (value === undefined) continue;
    if (value === null) {
      parts.push(escapeUri(key));
    } else if (Array.isArray(value)) {
      for (const item of value) parts.push(item === null ? escapeUri(key) : `${escapeUri(key)}=${escapeUri(item)}`);
    } else {
      parts.push(`${escapeUri(key)}=${escapeUri(value)}`);
    }
  }
  return parts.join('&');
}

interface CachedToken {
  token: string;
  issuedAt: number;
}

/**
 * Issues `k8s-aws-v1.` bearer tokens, each reused for 14 minutes per (region,
 * cluster, access key) by the issuer that made it.
 */
export function createEksTokenIssuer() {
  const tokenCache = new Map<string, CachedToken>();
  return {
    /** A token for `clusterName`, signed with `credentials` (the identity that will appear in the cluster). */
    token: (clusterName: string, region: string, credentials: AwsCredentials, now: Date = new Date()) =>
      issueToken(tokenCache, clusterName, region, credentials, now),
  };
}

async function issueToken(
  tokenCache: Map<string, CachedToken>,
  clusterName: string,
  region: string,
  credentials: AwsCredentials,
  now: Date,
): Promise<string> {
  const key = `${region}\n${clusterName}\n${credentials.accessKeyId}`;
  const at = now.getTime();
  const cached = tokenCache.get(key);
  if (cached && at >= cached.issuedAt && at < cached.issuedAt + EKS_TOKEN_REUSE_MS) return cached.token;

  const hostname = stsHostname(region);
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    },
    region,
    service: 'sts',
    sha256: NodeSha256,
    uriEscapePath: true,
  });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, 'x-k8s-aws-id': clusterName },
    },
    { expiresIn: 60, signingDate: now },
  );
  const url = `https://${hostname}${presigned.path}?${formatQuery(presigned.query ?? {})}`;
  const token = EKS_TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');

  for (const [k, v] of tokenCache) {
    if (at - v.issuedAt >= EKS_TOKEN_REUSE_MS) tokenCache.delete(k);
  }
  tokenCache.set(key, { token, issuedAt: at });
  return token;
}
