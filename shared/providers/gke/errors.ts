/** What a Google Cloud client error means for a workflow: retry it, or stop with a message a user can act on. */
import { redactedError } from '../redact.ts';
import { PermanentProviderError, TransientProviderError } from '../provider.ts';

/**
 * The shapes the GKE client throws in REST (`fallback`) mode:
 * - a GaxiosError for every HTTP answer that is not 2xx: `status` is the HTTP status,
 *   `code` the same number, and `message` the response body as text — for the GKE API
 *   the JSON `{"error":{"code":404,"message":"…","status":"NOT_FOUND","details":[…]}}`,
 *   for the token endpoint `invalid_grant: Invalid JWT Signature.` with the JSON body in
 *   `response.data`. (google-gax never gets to decode these into a GoogleError: gaxios
 *   rejects the non-2xx response before gax sees it.)
 * - a GaxiosError without a status when no answer came: `code` is the socket error
 *   (ENOTFOUND, ECONNREFUSED, …), also on `error` / `cause`.
 * - a GoogleError of google-gax with a numeric gRPC `code` (its own deadline errors).
 * - a plain Error of node:crypto (`ERR_OSSL_…`) when the private key cannot sign.
 */
interface GoogleErrorLike {
  name?: string;
  code?: unknown;
  status?: unknown;
  message?: unknown;
  response?: { status?: unknown; data?: unknown };
  error?: { code?: unknown };
  cause?: { code?: unknown };
}

/** gRPC status names by number, for the errors google-gax makes itself. */
const GRPC_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** Google's own HTTP → canonical status mapping (cloud.google.com/apis/design/errors). */
const STATUS_BY_HTTP: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** One Google Cloud error, read the same way whatever layer threw it. */
export interface GoogleErrorInfo {
  /** The HTTP status of the answer, when one came. */
  httpStatus?: number;
  /** The canonical status name (`NOT_FOUND`, `FAILED_PRECONDITION`, …), or '' when there was no answer. */
  status: string;
  /** Google's message (without the JSON around it), or the socket error's. */
  message: string;
  /** `ErrorInfo.reason` of the error details (`SERVICE_DISABLED`, `ACCESS_TOKEN_SCOPE_INSUFFICIENT`, …). */
  reason?: string;
  /** An OAuth error of the token endpoint (`invalid_grant`, `invalid_client`, …). */
  oauthError?: string;
  /** The Node error code when no answer came (ENOTFOUND, ECONNRESET, …) or signing failed (ERR_OSSL_…). */
  networkCode?: string;
}

function asGoogleError(error: unknown): GoogleErrorLike {
  return typeof error === 'object' && error !== null ? (error as GoogleErrorLike) : {};
}

function parseJson(text: string): unknown {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function googleErrorInfo(error: unknown): GoogleErrorInfo {
  const e = asGoogleError(error);
  const rawMessage = typeof e.message === 'string' ? e.message : typeof error === 'string' ? error : String(error);
  const httpStatus = [e.status, e.response?.status, e.code].find((s): s is number => typeof s === 'number' && s >= 100 && s < 600);
  const codes = [e.code, e.error?.code, e.cause?.code].filter((c): c is string => typeof c === 'string');
  const networkCode = codes.find((c) => /^(E[A-Z_]+|UND_ERR_[A-Z_]+|ERR_[A-Z0-9_]+)$/.test(c));

  const body = record(e.response?.data) ?? record(parseJson(rawMessage));
  const apiError = record(body?.error);
  let status = '';
  let message = rawMessage;
  let reason: string | undefined;
  let oauthError: string | undefined;
  if (apiError) {
    if (typeof apiError.status === 'string') status = apiError.status;
    if (typeof apiError.message === 'string' && apiError.message) message = apiError.message;
    const details = Array.isArray(apiError.details) ? apiError.details : [];
    for (const detail of details) {
      const r = record(detail)?.reason;
      if (typeof r === 'string') reason ??= r;
    }
  } else if (typeof body?.error === 'string') {
    oauthError = body.error;
    const description = typeof body.error_description === 'string' ? body.error_description : '';
    message = description ? `${oauthError}: ${description}` : oauthError;
  }
  if (!status && httpStatus !== undefined) status = STATUS_BY_HTTP[httpStatus] ?? (httpStatus >= 500 ? 'INTERNAL' : 'UNKNOWN');
  if (!status && typeof e.code === 'number' && e.code >= 0 && e.code < GRPC_NAMES.length) status = GRPC_NAMES[e.code] ?? '';
  return {
    ...(httpStatus !== undefined ? { httpStatus } : {}),
    status,
    message,
    ...(reason ? { reason } : {}),
    ...(oauthError ? { oauthError } : {}),
    ...(networkCode ? { networkCode } : {}),
  };
}

function isProviderError(error: unknown): boolean {
  return error instanceof TransientProviderError || error instanceof PermanentProviderError;
}

/** The GKE API's "no such cluster / node pool / operation". */
export function isGoogleNotFound(error: unknown): boolean {
  return !isProviderError(error) && googleErrorInfo(error).status === 'NOT_FOUND';
}

/** `createCluster` / `createNodePool` of something that exists (a retry, or a concurrent attempt). */
export function isGoogleAlreadyExists(error: unknown): boolean {
  return !isProviderError(error) && googleErrorInfo(error).status === 'ALREADY_EXISTS';
}

/**
 * No answer from Google Cloud at all: the name does not resolve, nothing listens, no
 * route. Retrying for minutes does not fix a platform without a way out to Google, so
 * these are permanent ("Google Cloud could not be reached: …") once the session's few
 * quick retries (session.ts) have not helped.
 */
const UNREACHABLE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH']);

/** The connection broke or timed out mid-flight: worth retrying. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const TRANSIENT_STATUSES = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'ABORTED', 'INTERNAL']);

/**
 * GKE runs one operation per cluster at a time and refuses another with
 * FAILED_PRECONDITION: "Cluster is running incompatible operation operation-…",
 * "Operation operation-… is currently upgrading cluster …", "… another operation is in
 * progress".
 */
const BUSY_TEXT = /incompatible operation|operation [\w-]+ is currently|already (an operation )?in progress|another operation|operation in progress|is currently (being )?(creating|upgrading|updating|deleting|resizing|repairing)/i;
const QUOTA_TEXT = /insufficient .*quota|quota .*(exceeded|insufficient)|exceed(s|ed|ing)? .*quota/i;
/** A per-minute API rate limit (also RESOURCE_EXHAUSTED / "Quota exceeded for quota metric 'Read requests'"): transient. */
const RATE_TEXT = /per minute|per user per|rate limit|requests? (per|rate)|read requests|write requests/i;
const SERVICE_DISABLED_TEXT = /has not been used in project|it is disabled|API .* disabled|SERVICE_DISABLED/i;

/**
 * Whether one call is worth repeating at once (session.ts): an unreachable host (the
 * request never left), 429 and 503 (Google did not take it) for any call; a broken
 * connection or another 5xx only for a read, whose repeat cannot do anything twice.
 */
export function retryableInCall(error: unknown, idempotent: boolean): boolean {
  if (isProviderError(error)) return false;
  const info = googleErrorInfo(error);
  if (info.networkCode && UNREACHABLE_CODES.has(info.networkCode)) return true;
  if (info.httpStatus === 429 || info.httpStatus === 503) return true;
  if (!idempotent) return false;
  if (info.networkCode && TRANSIENT_NETWORK_CODES.has(info.networkCode)) return true;
  return info.httpStatus !== undefined && info.httpStatus >= 500;
}

export interface GoogleErrorContext {
  /** The service account's email, to name it in messages. */
  serviceAccount?: string;
  projectId?: string;
  /** Strings that must never appear in a message (the private key). */
  redact?: string[];
}

/** The strings of a PEM private key worth redacting: the whole key and each line of its base64 body. */
export function privateKeySecrets(privateKey: string): string[] {
  const lines = privateKey
    .split(/\r?\n|\\n/)
    .map((l) => l.trim())
    .filter((l) => l.length >= 16 && !l.startsWith('-----'));
  return [privateKey, ...lines];
}

/**
 * Maps a Google Cloud client error to what the workflows understand:
 * `TransientProviderError` (429, 5xx, UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, another
 * operation running on the cluster, a connection that broke — retried with backoff) or
 * `PermanentProviderError` (PERMISSION_DENIED, INVALID_ARGUMENT, a rejected or unusable
 * service account key, quota, a disabled API, a Google Cloud that cannot be reached at
 * all — the cluster goes to Error with the message). Provider errors pass through;
 * anything unrecognised is permanent, so it is not retried blindly. No message carries
 * a string of `ctx.redact`.
 */
export function classifyGoogleError(
  error: unknown,
  operation?: string,
  ctx: GoogleErrorContext = {},
): TransientProviderError | PermanentProviderError {
  if (error instanceof TransientProviderError || error instanceof PermanentProviderError) return error;
  return redactedError(classify(error, operation, ctx), ctx.redact, error);
}

function classify(error: unknown, operation: string | undefined, ctx: GoogleErrorContext): TransientProviderError | PermanentProviderError {
  const info = googleErrorInfo(error);
  const { status, message, networkCode } = info;
  const prefix = operation ? `GKE ${operation}: ` : '';
  const during = operation ? ` (GKE ${operation})` : '';
  const text = `${prefix}${message}${status && !message.includes(status) ? ` (${status})` : ''}`;
  const who = ctx.serviceAccount ? `the service account ${ctx.serviceAccount}` : 'the service account';
  const project = ctx.projectId ? `project ${ctx.projectId}` : 'the project';

  if (info.httpStatus === undefined && (networkCode?.startsWith('ERR_OSSL') || /DECODER routines|PEM routines|private key/i.test(message))) {
    return new PermanentProviderError(
      `the cloud account's service account key cannot sign requests${during}: its private_key is not a usable PEM private key (${message})`,
      { cause: error },
    );
  }
  if (networkCode && UNREACHABLE_CODES.has(networkCode)) {
    return new PermanentProviderError(`Google Cloud could not be reached: ${message}${during}`, { cause: error });
  }
  if ((networkCode && TRANSIENT_NETWORK_CODES.has(networkCode)) || (info.httpStatus === undefined && /AbortError|TimeoutError/.test(asGoogleError(error).name ?? ''))) {
    return new TransientProviderError(`the connection to Google Cloud failed${during}: ${message}`, { cause: error });
  }

  if (info.oauthError) {
    if (/temporarily_unavailable|server_error/.test(info.oauthError) || (info.httpStatus ?? 0) >= 500) {
      return new TransientProviderError(`Google sign-in is temporarily unavailable${during}: ${message}`, { cause: error });
    }
    return new PermanentProviderError(
      `Google Cloud refused the key of ${who}${during}: ${message}. Check the cloud account's service account key (a deleted or disabled key, or a disabled service account, must be replaced with a new key).`,
      { cause: error },
    );
  }
  if (status === 'UNAUTHENTICATED') {
    return new PermanentProviderError(
      `Google Cloud refused the key of ${who}${during}: ${message} Check the cloud account's service account key (a deleted or disabled key, or a disabled service account, must be replaced with a new key).`,
      { cause: error },
    );
  }

  if (info.reason === 'SERVICE_DISABLED' || (status === 'PERMISSION_DENIED' && SERVICE_DISABLED_TEXT.test(message))) {
    return new PermanentProviderError(`${text}; enable the Kubernetes Engine API (container.googleapis.com) in ${project} and retry`, { cause: error });
  }
  const rateLimited = info.httpStatus === 429 || (status === 'RESOURCE_EXHAUSTED' && RATE_TEXT.test(message));
  if (!rateLimited && QUOTA_TEXT.test(message) && (info.httpStatus ?? 400) < 500) {
    return new PermanentProviderError(
      `${text}; request a quota increase for ${project} (Google Cloud console → IAM & Admin → Quotas) or choose a smaller machine type or fewer nodes`,
      { cause: error },
    );
  }
  if (status === 'PERMISSION_DENIED') {
    return new PermanentProviderError(
      `${text}; grant ${who} the Kubernetes Engine Admin (roles/container.admin) and Service Account User (roles/iam.serviceAccountUser) roles on ${project}`,
      { cause: error },
    );
  }
  if (rateLimited || status === 'RESOURCE_EXHAUSTED') return new TransientProviderError(text, { cause: error });
  if (status === 'FAILED_PRECONDITION' && BUSY_TEXT.test(message)) return new TransientProviderError(text, { cause: error });
  if (TRANSIENT_STATUSES.has(status) || (info.httpStatus ?? 0) >= 500) return new TransientProviderError(text, { cause: error });
  return new PermanentProviderError(text, { cause: error });
}
