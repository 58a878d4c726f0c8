/**
 * Access to a customer's Azure subscription: one ClientSecretCredential of the account's
 * service principal and one ContainerService / ResourceManagement client per
 * subscription, made on first use and kept by the provider (the credential caches its
 * ARM token until shortly before it expires). The Azure SDKs load on first use too:
 * importing this module costs nothing.
 */
import type { ContainerServiceClient, ContainerServiceClientOptionalParams } from '@azure/arm-containerservice';
import type { ResourceManagementClient } from '@azure/arm-resources';
import type { AccessToken, ClientSecretCredentialOptions, GetTokenOptions, TokenCredential } from '@azure/identity';
import { PermanentProviderError } from '../provider.ts';
import { AzureSignInError, azureErrorCode, azureErrorMessage } from './errors.ts';
import { redactText } from '../redact.ts';

export interface AksAccountSettings {
  tenantId: string;
  clientId: string;
  /** Plaintext: the caller unseals it. Never logged, never in an error message. */
  clientSecret: string;
  subscriptionId: string;
  /** Where the clusters go; default `palette-<region>`, created in the cluster's region if missing. */
  resourceGroup?: string;
}

/** The SDK's own retries of one call (throttling, 5xx, a dropped connection), for ARM and sign-in alike. */
export interface AzureRetryOptions {
  maxRetries?: number;
  retryDelayInMs?: number;
  maxRetryDelayInMs?: number;
}

export interface AksSessionOptions {
  /**
   * Default: 2 retries, 500 ms apart doubling up to 4 s. Kept short because the step
   * Lambdas retry with their own backoff: a call should fail fast, not sleep.
   */
  retryOptions?: AzureRetryOptions;
  /**
   * A Retry-After longer than this (default 10 s) is not slept through inside the call:
   * the 429 surfaces as a TransientProviderError and the workflow backs off instead.
   */
  maxRetryAfterMs?: number;
}

const DEFAULT_RETRY: Required<AzureRetryOptions> = { maxRetries: 2, retryDelayInMs: 500, maxRetryDelayInMs: 4000 };
const DEFAULT_MAX_RETRY_AFTER_MS = 10_000;
const RETRY_AFTER_HEADERS = ['retry-after-ms', 'x-ms-retry-after-ms', 'retry-after'];

type PipelinePolicy = NonNullable<ClientSecretCredentialOptions['additionalPolicies']>[number]['policy'];
type ArmPolicy = NonNullable<ContainerServiceClientOptionalParams['additionalPolicies']>[number]['policy'];

let containerServiceSdk: Promise<typeof import('@azure/arm-containerservice')> | undefined;
let resourcesSdk: Promise<typeof import('@azure/arm-resources')> | undefined;
let identitySdk: Promise<typeof import('@azure/identity')> | undefined;

function retryAfterMs(headers: { get(name: string): string | undefined }): number | undefined {
  for (const name of RETRY_AFTER_HEADERS) {
    const raw = headers.get(name);
    if (raw === undefined) continue;
    const n = Number(raw);
    if (Number.isFinite(n)) return name === 'retry-after' ? n * 1000 : n;
    const date = Date.parse(raw);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  return undefined;
}

/** Drops a Retry-After the SDK would otherwise sleep through for minutes inside a Lambda. */
function retryAfterCap(maxMs: number): ArmPolicy {
  return {
    name: 'paletteRetryAfterCap',
    async sendRequest(request, next) {
      const response = await next(request);
      if (response.status === 429 || response.status === 503) {
        const wait = retryAfterMs(response.headers);
        if (wait !== undefined && wait > maxMs) for (const name of RETRY_AFTER_HEADERS) response.headers.delete(name);
      }
      return response;
    },
  };
}

export function createAksSession(account: AksAccountSettings, options: AksSessionOptions = {}) {
  const retryOptions = { ...DEFAULT_RETRY, ...options.retryOptions };
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const secrets = [account.clientSecret];
  let credential: Promise<TokenCredential> | undefined;

  /**
   * The account's credential, wrapped so a failed sign-in says why: MSAL turns every
   * transport failure into a bare `network_error`, so a policy on the token requests
   * remembers the socket error of the latest one.
   */
  async function makeCredential(): Promise<TokenCredential> {
    const { ClientSecretCredential } = await (identitySdk ??= import('@azure/identity'));
    let lastNetworkError: { code: string; message: string } | undefined;
    const recordNetworkErrors: PipelinePolicy = {
      name: 'paletteRecordSignInNetworkErrors',
      async sendRequest(request, next) {
        try {
          return await next(request);
        } catch (error) {
          const code = azureErrorCode(error);
          if (code) lastNetworkError = { code, message: redactText(azureErrorMessage(error), secrets) };
          throw error;
        }
      },
    };
    let inner: TokenCredential;
    try {
      inner = new ClientSecretCredential(account.tenantId, account.clientId, account.clientSecret, {
        retryOptions,
        additionalPolicies: [{ policy: recordNetworkErrors, position: 'perRetry' }],
      });
    } catch (error) {
      // e.g. a tenant id with characters AAD never uses.
      throw new PermanentProviderError(`the cloud account's Azure credentials are invalid: ${redactText(azureErrorMessage(error), secrets)}`);
    }
    return {
      async getToken(scopes: string | string[], getTokenOptions?: GetTokenOptions): Promise<AccessToken | null> {
        lastNetworkError = undefined;
        try {
          return await inner.getToken(scopes, getTokenOptions);
        } catch (error) {
          const text = redactText(azureErrorMessage(error), secrets);
          throw new AzureSignInError(`signing in to Azure failed: ${text}`, text, lastNetworkError);
        }
      },
    };
  }

  function armOptions() {
    return {
      retryOptions,
      additionalPolicies: [{ policy: retryAfterCap(maxRetryAfterMs), position: 'perRetry' as const }],
    };
  }

  /** A client made once; a failed start (an invalid tenant id) is not kept, so the next call tries again. */
  function once<T>(make: () => Promise<T>): () => Promise<T> {
    let made: Promise<T> | undefined;
    return () => {
      if (!made) {
        made = make();
        made.catch(() => {
          made = undefined;
          credential = undefined;
        });
      }
      return made;
    };
  }

  /** The ContainerService client of the account's subscription. */
  const aks = once(async (): Promise<ContainerServiceClient> => {
    const [{ ContainerServiceClient }, cred] = await Promise.all([
      (containerServiceSdk ??= import('@azure/arm-containerservice')),
      (credential ??= makeCredential()),
    ]);
    return new ContainerServiceClient(cred, account.subscriptionId, armOptions());
  });

  /** The ResourceManagement client of the subscription (resource groups only). */
  const arm = once(async (): Promise<ResourceManagementClient> => {
    const [{ ResourceManagementClient }, cred] = await Promise.all([
      (resourcesSdk ??= import('@azure/arm-resources')),
      (credential ??= makeCredential()),
    ]);
    return new ResourceManagementClient(cred, account.subscriptionId, armOptions());
  });

  return { aks, arm, secrets };
}
