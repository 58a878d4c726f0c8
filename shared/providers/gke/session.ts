/**
 * Access to a customer's Google Cloud project: one ClusterManagerClient (GKE API v1) per
 * provider, made on first use, in REST mode (`fallback: true`: HTTP/1.1 + JSON through
 * gaxios, no gRPC and no native modules in a Lambda bundle). The SDK loads on first
 * use too: importing this module costs nothing.
 *
 * ## How the client signs in
 * The account's service account key (`client_email`, `private_key`) goes to the client
 * as `credentials`, and google-auth-library signs every GKE API call with a
 * **self-signed JWT** (RS256 with the key, audience `https://container.googleapis.com/`,
 * valid one hour, re-signed 15 minutes before it expires): there is no token exchange for API
 * calls, and a deleted or disabled key shows as 401 UNAUTHENTICATED from
 * container.googleapis.com. Only `accessToken()` — the bearer token of a kubeconfig,
 * which the Kubernetes API server of a GKE cluster only accepts as a real OAuth access
 * token — goes through the OAuth JWT-bearer flow: `POST
 * https://oauth2.googleapis.com/token`, cached by google-auth-library for its hour.
 *
 * ## Retries
 * google-gax's own retries are off on every call: in REST mode they would only ever
 * see gaxios's HTTP errors, never the gRPC codes they retry, and their defaults would
 * keep a call going for up to 20 s. Instead `call` repeats a call a few times quickly
 * (retryableInCall in errors.ts) and the workflow's backoff does the rest.
 */
import type { ClusterManagerClient } from '@google-cloud/container';
import { PermanentProviderError } from '../provider.ts';
import { privateKeySecrets, retryableInCall } from './errors.ts';

/** The parsed JSON key of a service account (`gcloud iam service-accounts keys create`). */
export interface GkeServiceAccountKey {
  client_email: string;
  /** PEM, plaintext: the caller unseals it. Never logged, never in an error message. */
  private_key: string;
  type?: string;
  project_id?: string;
  private_key_id?: string;
  client_id?: string;
  [field: string]: unknown;
}

export interface GkeAccountSettings {
  /** The project the clusters go in (and are billed to). */
  projectId: string;
  serviceAccountKey: GkeServiceAccountKey;
}

/** The provider's own quick retries of one call (see retryableInCall). */
export interface GoogleRetryOptions {
  maxRetries?: number;
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

export interface GkeSessionOptions {
  /**
   * Default: 2 retries, 250 ms then 500 ms apart (with up to 50% jitter), so an
   * unreachable Google fails within about 1 s. Kept short because the step Lambdas
   * retry with their own backoff: a call should fail fast, not sleep.
   */
  retryOptions?: GoogleRetryOptions;
}

const DEFAULT_RETRY: Required<GoogleRetryOptions> = { maxRetries: 2, retryDelayMs: 250, maxRetryDelayMs: 1000 };

/**
 * Self-signed JWTs and access tokens are re-made this long before they expire, so a
 * kubeconfig token handed out is good for at least this long (google-auth-library's
 * default is 5 minutes).
 */
export const TOKEN_MIN_LIFETIME_MS = 15 * 60 * 1000;

/** Per-call options for every GKE call: google-gax's retries off (see above). */
export const CALL_OPTIONS = { retry: { retryCodes: [] } };

/**
 * The v1 client only: the package's main module also loads the v1beta1 client and the
 * static protobuf.js code of both APIs (2.6 MB minified), which the REST client never
 * uses (it reads protos.json).
 */
let containerSdk: Promise<typeof import('@google-cloud/container/build/src/v1/index.js')> | undefined;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createGkeSession(account: GkeAccountSettings, options: GkeSessionOptions = {}) {
  const retry = { ...DEFAULT_RETRY, ...options.retryOptions };
  const key = account.serviceAccountKey;
  const secrets = typeof key?.private_key === 'string' && key.private_key ? privateKeySecrets(key.private_key) : [];
  let made: Promise<ClusterManagerClient> | undefined;

  async function makeClient(): Promise<ClusterManagerClient> {
    if (typeof key?.client_email !== 'string' || !key.client_email || typeof key.private_key !== 'string' || !key.private_key) {
      throw new PermanentProviderError("the cloud account's Google service account key has no client_email or private_key (give the whole JSON key file)");
    }
    const { ClusterManagerClient } = await (containerSdk ??= import('@google-cloud/container/build/src/v1/index.js'));
    return new ClusterManagerClient({
      fallback: true,
      projectId: account.projectId,
      credentials: { client_email: key.client_email, private_key: key.private_key },
      clientOptions: { eagerRefreshThresholdMillis: TOKEN_MIN_LIFETIME_MS },
    });
  }

  /** The account's client; a failed start is not kept, so the next call tries again. */
  function client(): Promise<ClusterManagerClient> {
    if (!made) {
      made = makeClient();
      made.catch(() => {
        made = undefined;
      });
    }
    return made;
  }

  /**
   * One GKE call, repeated at most `maxRetries` times when retryableInCall says so.
   * `idempotent`: a read (or a call whose repeat changes nothing), which may also be
   * repeated after a broken connection or a 5xx.
   */
  async function call<T>(fn: (c: ClusterManagerClient) => Promise<T>, idempotent: boolean): Promise<T> {
    const c = await client();
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(c);
      } catch (error) {
        if (attempt >= retry.maxRetries || !retryableInCall(error, idempotent)) throw error;
        const delay = Math.min(retry.retryDelayMs * 2 ** attempt, retry.maxRetryDelayMs);
        await sleep(delay * (0.5 + Math.random() / 2));
      }
    }
  }

  /**
   * An OAuth access token of the service account (scope `cloud-platform`): what the
   * Kubernetes API server of a GKE cluster accepts as a bearer token. Google issues it
   * for one hour; google-auth-library reuses it until 15 minutes before it expires, so
   * the token returned is good for 15 to 60 minutes.
   */
  async function accessToken(): Promise<string> {
    // Not through `call`: gtoken has gaxios retry its token request itself (429, 5xx, no
    // answer), and repeating that would pass the ~2 s an unreachable Google may take.
    const c = await client();
    const auth = await c.auth.getClient();
    const { token } = await auth.getAccessToken();
    if (!token) throw new PermanentProviderError('Google returned no access token for the service account');
    return token;
  }

  return { client, call, accessToken, secrets };
}
