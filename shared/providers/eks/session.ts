/**
 * Access to a customer's AWS account: STS AssumeRole of the account's role with its
 * external id (session `palette-<clusterId>`, one hour), credentials cached per session
 * until 5 minutes before they expire, and one EKS client per (region, access key). An
 * AccessDenied from STS is permanent: the customer has to fix the role's trust policy
 * or the external id.
 */
import type { EKSClient } from '@aws-sdk/client-eks';
import type { STSClient } from '@aws-sdk/client-sts';
import { PermanentProviderError, TransientProviderError, type ClusterRef } from '../provider.ts';
import { awsErrorMessage, awsErrorName, classifyAwsError } from './errors.ts';
import type { AwsCredentials } from './token.ts';
import { traced } from '../../observability/tracer.ts';

/** STS limit on RoleSessionName. */
const SESSION_NAME_MAX = 64;
/** Credentials are refreshed this long before they expire. */
const CREDENTIALS_REFRESH_MS = 5 * 60 * 1000;
const ASSUME_ROLE_SECONDS = 3600;

export interface EksAccount {
  /** The cross-account role in the customer's account Palette assumes. */
  roleArn: string;
  /** The external id in that role's trust policy (confused-deputy protection). */
  externalId: string;
}

export interface EksSessionOptions {
  /** STS client of the Palette account (default: one per region, in AWS_REGION). */
  stsClient?: STSClient;
  /** Builds an EKS client for the customer account (default `new EKSClient({ region, credentials })`). */
  eksClientFor?: (region: string, credentials: AwsCredentials) => EKSClient;
  now?: () => Date;
}

/** Every session the platform opens in a customer account starts with this (IAM conditions can rely on it). */
export const ROLE_SESSION_PREFIX = 'palette-';

function sessionNameFor(clusterId: string): string {
  const name = `${ROLE_SESSION_PREFIX}${clusterId}`.replace(/[^\w+=,.@-]/g, '-');
  return name.slice(0, SESSION_NAME_MAX);
}

interface CachedCredentials {
  credentials: AwsCredentials;
  /** Refresh at (ms since epoch). */
  refreshAt: number;
}

export function createEksSession(account: EksAccount, options: EksSessionOptions = {}) {
  const now = options.now ?? (() => new Date());
  const credentialCache = new Map<string, CachedCredentials>();
  const stsClients = new Map<string, STSClient>();
  const eksClients = new Map<string, EKSClient>();
  // Both SDKs load on first use (see eksSdk in provider.ts for why).
  const eksClientFor =
    options.eksClientFor ??
    (async (region: string, credentials: AwsCredentials) => traced(new (await import('@aws-sdk/client-eks')).EKSClient({ region, credentials })));

  async function stsClient(region: string): Promise<STSClient> {
    if (options.stsClient) return options.stsClient;
    // STS is called from the Palette account, so use the region we run in (an opt-in
    // customer region may not be enabled for Palette's account).
    const stsRegion = process.env.AWS_REGION ?? region;
    let client = stsClients.get(stsRegion);
    if (!client) {
      client = traced(new (await import('@aws-sdk/client-sts')).STSClient({ region: stsRegion }));
      stsClients.set(stsRegion, client);
    }
    return client;
  }

  async function credentialsFor(ref: ClusterRef): Promise<AwsCredentials> {
    const sessionName = sessionNameFor(ref.clusterId);
    const at = now().getTime();
    const cached = credentialCache.get(sessionName);
    if (cached && at < cached.refreshAt) return cached.credentials;

    let out;
    try {
      const { AssumeRoleCommand } = await import('@aws-sdk/client-sts');
      out = await (await stsClient(ref.region)).send(
        new AssumeRoleCommand({
          RoleArn: account.roleArn,
          ExternalId: account.externalId,
          RoleSessionName: sessionName,
          DurationSeconds: ASSUME_ROLE_SECONDS,
        }),
      );
    } catch (error) {
      if (awsErrorName(error).startsWith('AccessDenied')) {
        throw new PermanentProviderError(
          `cannot assume role ${account.roleArn}: ${awsErrorMessage(error)}. ` +
            `Check that the role's trust policy allows Palette's account to assume it and that the external id matches the one configured for this account.`,
          { cause: error },
        );
      }
      throw classifyAwsError(error, 'AssumeRole (STS)');
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) {
      throw new TransientProviderError(`STS AssumeRole on ${account.roleArn} returned no credentials`);
    }
    const expiration = c.Expiration ?? new Date(at + ASSUME_ROLE_SECONDS * 1000);
    const credentials: AwsCredentials = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      expiration,
    };
    for (const [key, entry] of credentialCache) {
      if (at >= entry.refreshAt) credentialCache.delete(key);
    }
    credentialCache.set(sessionName, { credentials, refreshAt: expiration.getTime() - CREDENTIALS_REFRESH_MS });
    return credentials;
  }

  async function eks(ref: ClusterRef): Promise<{ client: EKSClient; credentials: AwsCredentials }> {
    const credentials = await credentialsFor(ref);
    const key = `${ref.region}\n${credentials.accessKeyId}`;
    let client = eksClients.get(key);
    if (!client) {
      // Drop clients built on credentials we no longer use.
      for (const k of eksClients.keys()) if (k.startsWith(`${ref.region}\n`)) eksClients.delete(k);
      client = await eksClientFor(ref.region, credentials);
      eksClients.set(key, client);
    }
    return { client, credentials };
  }

  return { eks };
}
