import { createHash, createHmac } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { createEksTokenIssuer } from '#shared/providers/eks/token.ts';

const credentials = {
  accessKeyId: 'ASIAEXAMPLEKEY000001',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session/token+with=chars',
};

function decode(token: string): URL {
  expect(token.startsWith('k8s-aws-v1.')).toBe(true);
  const encoded = token.slice('k8s-aws-v1.'.length);
  expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
  return new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
}

describe('eksBearerToken', () => {
  let eksBearerToken: ReturnType<typeof createEksTokenIssuer>['token'];
  beforeEach(() => {
    eksBearerToken = createEksTokenIssuer().token;
  });

  it('encodes a presigned STS GetCallerIdentity URL bound to the cluster name', async () => {
    const now = new Date('2025-03-01T12:00:00Z');
    const url = decode(await eksBearerToken('prod-east', 'eu-west-1', credentials, now));

    expect(url.protocol).toBe('https:');
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    const q = url.searchParams;
    expect(q.get('Action')).toBe('GetCallerIdentity');
    expect(q.get('Version')).toBe('2011-06-15');
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Credential')).toBe(`${credentials.accessKeyId}/20250301/eu-west-1/sts/aws4_request`);
    expect(q.get('X-Amz-Date')).toBe('20250301T120000Z');
    expect(q.get('X-Amz-Expires')).toBe('60');
    expect(q.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(q.get('X-Amz-Security-Token')).toBe(credentials.sessionToken);
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('carries a signature an independent SigV4 computation over the URL as sent agrees with', async () => {
    const now = new Date('2025-03-01T12:00:00Z');
    const url = decode(await eksBearerToken('prod-east', 'eu-west-1', credentials, now));
    const pairs = url.search.slice(1).split('&');
    const signature = pairs.find((p) => p.startsWith('X-Amz-Signature='))?.split('=')[1];
    const canonicalQuery = pairs
      .filter((p) => !p.startsWith('X-Amz-Signature='))
      .sort((a, b) => (a.split('=')[0]! < b.split('=')[0]! ? -1 : 1))
      .join('&');
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s).digest();
    const canonicalRequest = [
      'GET',
      '/',
      canonicalQuery,
      'host:sts.eu-west-1.amazonaws.com\nx-k8s-aws-id:prod-east\n',
      'host;x-k8s-aws-id',
      sha(''),
    ].join('\n');
    const scope = '20250301/eu-west-1/sts/aws4_request';
    const stringToSign = ['AWS4-HMAC-SHA256', '20250301T120000Z', scope, sha(canonicalRequest)].join('\n');
    let key = hmac(`AWS4${credentials.secretAccessKey}`, '20250301');
    for (const part of ['eu-west-1', 'sts', 'aws4_request']) key = hmac(key, part);
    expect(signature).toBe(createHmac('sha256', key).update(stringToSign).digest('hex'));
  });

  it('signs differently for another cluster name, since the name is a signed header', async () => {
    const now = new Date('2025-03-01T12:00:00Z');
    const a = decode(await eksBearerToken('cluster-a', 'us-east-1', credentials, now));
    const b = decode(await eksBearerToken('cluster-b', 'us-east-1', credentials, now));
    expect(a.searchParams.get('X-Amz-Signature')).not.toBe(b.searchParams.get('X-Amz-Signature'));
  });

  it('returns the same token within 14 minutes and a fresh one 15 minutes later', async () => {
    const t0 = new Date('2025-03-01T12:00:00Z');
    const first = await eksBearerToken('prod-east', 'eu-west-1', credentials, t0);
    const again = await eksBearerToken('prod-east', 'eu-west-1', credentials, new Date(t0.getTime() + 13 * 60_000));
    const later = await eksBearerToken('prod-east', 'eu-west-1', credentials, new Date(t0.getTime() + 15 * 60_000));

    expect(again).toBe(first);
    expect(later).not.toBe(first);
    expect(decode(later).searchParams.get('X-Amz-Date')).toBe('20250301T121500Z');
  });

  it('caches per access key, so rotated credentials get their own token', async () => {
    const now = new Date('2025-03-01T12:00:00Z');
    const a = await eksBearerToken('prod-east', 'eu-west-1', credentials, now);
    const b = await eksBearerToken('prod-east', 'eu-west-1', { ...credentials, accessKeyId: 'ASIAEXAMPLEKEY000002' }, now);
    expect(b).not.toBe(a);
  });

  it('uses the amazonaws.com.cn STS host in China regions', async () => {
    const url = decode(await eksBearerToken('c', 'cn-north-1', credentials, new Date('2025-03-01T12:00:00Z')));
    expect(url.host).toBe('sts.cn-north-1.amazonaws.com.cn');
  });
});
