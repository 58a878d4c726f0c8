/** What an Azure SDK error means for a workflow: retry it, or stop with a message a user can act on. */
import { redactedError } from '../redact.ts';
import { PermanentProviderError, TransientProviderError } from '../provider.ts';

/**
 * The shape shared by the RestErrors of every Azure SDK we use (arm-containerservice
 * throws @typespec/ts-http-runtime's, arm-resources @azure/core-client's): the ARM error
 * `code` from the response body (or a Node error code such as ENOTFOUND when no answer
 * came), and the HTTP status.
 */
interface AzureErrorLike {
  name?: string;
  code?: string;
  statusCode?: number;
  message?: string;
}

function asAzureError(error: unknown): AzureErrorLike {
  return typeof error === 'object' && error !== null ? (error as AzureErrorLike) : {};
}

export function azureErrorCode(error: unknown): string {
  const code = asAzureError(error).code;
  return typeof code === 'string' ? code : '';
}

export function azureErrorStatus(error: unknown): number | undefined {
  const status = asAzureError(error).statusCode;
  return typeof status === 'number' ? status : undefined;
}

export function azureErrorMessage(error: unknown): string {
  const e = asAzureError(error);
  if (typeof e.message === 'string' && e.message !== '') return e.message;
  return typeof error === 'string' ? error : String(azureErrorCode(error) || error);
}

export function isAzureError(error: unknown, ...codes: string[]): boolean {
  return codes.includes(azureErrorCode(error));
}

/** ARM's "no such resource" (the resource, or the resource group holding it). */
export function isAzureNotFound(error: unknown): boolean {
  if (error instanceof TransientProviderError || error instanceof PermanentProviderError) return false;
  return azureErrorStatus(error) === 404 || isAzureError(error, 'ResourceNotFound', 'NotFound', 'ResourceGroupNotFound');
}

/**
 * A sign-in failure of the account's service principal. MSAL reports every transport
 * failure as a bare `network_error`, so the credential wrapper (session.ts) attaches the
 * socket error it saw on the token request. The message is already redacted: it never
 * carries the original error as `cause`, in case Azure ever echoes the secret.
 */
export class AzureSignInError extends Error {
  override readonly name = 'AzureSignInError';
  readonly credentialError: string;
  readonly networkError: { code: string; message: string } | undefined;

  constructor(message: string, credentialError: string, networkError?: { code: string; message: string }) {
    super(message);
    this.credentialError = credentialError;
    this.networkError = networkError;
  }
}

/**
 * No answer from Azure at all: the name does not resolve, nothing listens, no route.
 * Retrying for minutes does not fix a platform without a way out to Azure, so these are
 * permanent ("Azure could not be reached: …") and the workflow ends promptly.
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
  'REQUEST_SEND_ERROR',
]);

const TRANSIENT_CODES = new Set([
  'TooManyRequests',
  'SubscriptionRequestsThrottled',
  'TenantRequestsThrottled',
  'ResourceRequestsThrottled',
  'RetryableError',
  'InternalServerError',
  'InternalOperationError',
  'ServiceUnavailable',
  'GatewayTimeout',
  'AnotherOperationInProgress',
  'OperationPreempted',
  'EtagMismatch',
  'PreconditionFailed',
]);

/** Codes ARM uses both for "busy with another operation" (transient) and real refusals. */
const BUSY_CODES = new Set(['OperationNotAllowed', 'Conflict', 'ResourceQuotaOperationInProgress']);
const BUSY_TEXT = /in progress|another operation|is (currently )?(being )?(created|updated|upgraded|scaled|deleted)|ongoing operation/i;
const QUOTA_TEXT = /quota/i;

/** `/subscriptions/<s>/resourceGroups/<rg>/…` → "resource group <rg>", else "subscription <s>", else the scope. */
export function describeScope(scope: string): string {
  const rg = /\/resourceGroups\/([^/]+)/i.exec(scope);
  if (rg?.[1]) return `resource group ${rg[1]}`;
  const sub = /^\/subscriptions\/([^/]+)\/?$/i.exec(scope);
  if (sub?.[1]) return `subscription ${sub[1]}`;
  return scope;
}

/** The action and scope an AuthorizationFailed / LinkedAuthorizationFailed message names. */
export function deniedPermission(message: string): { action: string; scope: string } | undefined {
  const linked = /does not have permission to perform action\(s\) '([^']+)' on the linked scope\(s\) '([^']+)'/i.exec(message);
  if (linked?.[1] && linked[2]) return { action: linked[1], scope: linked[2] };
  const direct = /perform action '([^']+)' over scope '([^']+)'/i.exec(message);
  if (direct?.[1] && direct[2]) return { action: direct[1], scope: direct[2] };
  return undefined;
}

export interface AzureErrorContext {
  /** The account's client id, to name the service principal in messages. */
  clientId?: string;
  /** Strings that must never appear in a message (the client secret). */
  redact?: string[];
}

/** The first `AADSTS…: sentence.` of an AAD error: the part a person can act on, without trace ids. */
function aadReason(message: string): string | undefined {
  const m = /AADSTS\d+:[^.]*\./.exec(message);
  return m?.[0];
}

function classifySignIn(error: AzureSignInError, operation: string | undefined, ctx: AzureErrorContext) {
  const during = operation ? ` (AKS ${operation})` : '';
  const network = error.networkError;
  if (network && TRANSIENT_NETWORK_CODES.has(network.code)) {
    return new TransientProviderError(`signing in to Azure failed on a network error${during}: ${network.message}`, { cause: error });
  }
  if (network || /network_error|endpoints_resolution_error/i.test(error.credentialError)) {
    const detail = network ? network.message : error.credentialError;
    return new PermanentProviderError(`Azure could not be reached: signing in at login.microsoftonline.com failed${during}: ${detail}`, { cause: error });
  }
  if (/temporarily_unavailable|server_error|AADSTS90033|AADSTS50196/i.test(error.credentialError)) {
    return new TransientProviderError(`Azure sign-in is temporarily unavailable${during}: ${error.credentialError}`, { cause: error });
  }
  const reason = aadReason(error.credentialError) ?? error.credentialError;
  const who = ctx.clientId ? `the service principal ${ctx.clientId}` : 'the service principal';
  return new PermanentProviderError(
    `Azure refused to sign in ${who}${during}: ${reason} Check the cloud account's tenant id, client id and client secret (an expired secret must be renewed).`,
    { cause: error },
  );
}

/**
 * Maps an Azure SDK error to what the workflows understand: `TransientProviderError`
 * (throttling, 5xx, the resource busy with another operation, a connection that broke —
 * retried with backoff) or `PermanentProviderError` (authorization, quota, invalid
 * parameters, a rejected credential, an Azure that cannot be reached at all — the
 * cluster goes to Error with the message). Provider errors pass through; anything
 * unrecognised is permanent, so it is not retried blindly. No message carries a string
 * of `ctx.redact`.
 */
export function classifyAzureError(
  error: unknown,
  operation?: string,
  ctx: AzureErrorContext = {},
): TransientProviderError | PermanentProviderError {
  if (error instanceof TransientProviderError || error instanceof PermanentProviderError) return error;
  return redactedError(classify(error, operation, ctx), ctx.redact, error);
}

function classify(error: unknown, operation: string | undefined, ctx: AzureErrorContext): TransientProviderError | PermanentProviderError {
  if (error instanceof AzureSignInError) return classifySignIn(error, operation, ctx);
  const e = asAzureError(error);
  const name = e.name ?? '';
  const code = azureErrorCode(error);
  const status = azureErrorStatus(error);
  const message = azureErrorMessage(error);
  const prefix = operation ? `AKS ${operation}: ` : '';
  const text = `${prefix}${message}${code && !message.includes(code) ? ` (${code})` : ''}`;

  if (name === 'CredentialUnavailableError') {
    return new PermanentProviderError(`Azure could not be reached: ${message}`, { cause: error });
  }
  if (UNREACHABLE_CODES.has(code)) {
    return new PermanentProviderError(`Azure could not be reached: ${message}${operation ? ` (AKS ${operation})` : ''}`, { cause: error });
  }
  if (TRANSIENT_NETWORK_CODES.has(code) || name === 'AbortError' || name === 'TimeoutError') {
    return new TransientProviderError(`the connection to Azure failed${operation ? ` (AKS ${operation})` : ''}: ${message}`, { cause: error });
  }

  if (code === 'AuthorizationFailed' || code === 'LinkedAuthorizationFailed' || status === 403) {
    const denied = deniedPermission(message);
    if (denied) {
      return new PermanentProviderError(
        `${prefix}the service principal lacks ${denied.action} on ${describeScope(denied.scope)}` +
          `${ctx.clientId ? ` (client id ${ctx.clientId}; scope ${denied.scope})` : ` (scope ${denied.scope})`}; ` +
          `grant it a role that allows this action there (e.g. Contributor) and retry${code ? ` (${code})` : ''}`,
        { cause: error },
      );
    }
    return new PermanentProviderError(text, { cause: error });
  }
  // QuotaExceeded, ErrCode_InsufficientVCPUQuota, OperationNotAllowed "…exceeding approved … quota…"
  const quota =
    status !== 429 &&
    (status ?? 400) < 500 &&
    ((QUOTA_TEXT.test(code) && !BUSY_CODES.has(code)) || (QUOTA_TEXT.test(message) && !BUSY_TEXT.test(message)));
  if (quota) {
    return new PermanentProviderError(
      `${text}; request a quota increase for the subscription (Azure portal → Quotas) or choose a smaller VM size or fewer nodes`,
      { cause: error },
    );
  }
  if (code === 'MissingSubscriptionRegistration') {
    return new PermanentProviderError(
      `${text}; register the resource provider on the subscription (az provider register --namespace Microsoft.ContainerService)`,
      { cause: error },
    );
  }
  if (TRANSIENT_CODES.has(code) || status === 429) return new TransientProviderError(text, { cause: error });
  if ((BUSY_CODES.has(code) || status === 409) && BUSY_TEXT.test(message)) return new TransientProviderError(text, { cause: error });
  if (typeof status === 'number' && status >= 500) return new TransientProviderError(text, { cause: error });
  return new PermanentProviderError(text, { cause: error });
}
