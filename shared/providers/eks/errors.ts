/** What an AWS SDK error means for a workflow: retry it, or stop with a message a user can act on. */
import { PermanentProviderError, TransientProviderError } from '../provider.ts';

interface AwsErrorLike {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

function asAwsError(error: unknown): AwsErrorLike {
  return typeof error === 'object' && error !== null ? (error as AwsErrorLike) : {};
}

/** The AWS error code (`name` for SDK v3 exceptions). */
export function awsErrorName(error: unknown): string {
  const e = asAwsError(error);
  return e.name ?? e.Code ?? e.code ?? '';
}

export function awsErrorMessage(error: unknown): string {
  const e = asAwsError(error);
  if (typeof e.message === 'string' && e.message !== '') return e.message;
  return typeof error === 'string' ? error : String(awsErrorName(error) || error);
}

export function isAwsError(error: unknown, ...names: string[]): boolean {
  return names.includes(awsErrorName(error));
}

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'ServerException',
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ResourcePropagationDelayException',
  'IDPCommunicationError',
  // Another update / operation is in progress on the resource: try again later.
  'ResourceInUseException',
]);

const PERMANENT_NAMES = new Set([
  'InvalidParameterException',
  'InvalidRequestException',
  'UnsupportedAvailabilityZoneException',
  'ResourceLimitExceededException',
  'ValidationException',
  'ValidationError',
  'ClientException',
  'BadRequestException',
  'NotFoundException',
  'ResourceNotFoundException',
  'InvalidStateException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'MalformedPolicyDocument',
  'RegionDisabledException',
]);

/** Network-level failures (no answer from AWS at all): worth retrying. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/**
 * Maps an AWS SDK error to what the workflows understand: `TransientProviderError`
 * (throttling, 5xx, `$retryable`, a resource busy with another update, network
 * failures — retried with backoff) or `PermanentProviderError` (access denied, invalid
 * parameters/requests, unsupported AZ, limits, validation — the cluster goes to Error
 * with the AWS message). Errors that already are provider errors pass through; anything
 * unrecognised (including programming errors) is permanent, so it is not retried blindly.
 */
export function classifyAwsError(
  error: unknown,
  operation?: string,
): TransientProviderError | PermanentProviderError {
  if (error instanceof TransientProviderError || error instanceof PermanentProviderError) return error;
  const e = asAwsError(error);
  const name = awsErrorName(error);
  const message = awsErrorMessage(error);
  const text = `${operation ? `EKS ${operation}: ` : ''}${message}${name && !message.includes(name) ? ` (${name})` : ''}`;
  const status = e.$metadata?.httpStatusCode;

  if (name === 'CredentialsProviderError') {
    return new PermanentProviderError(`AWS could not be reached: the platform has no AWS credentials to call it with (${message})`, { cause: error });
  }
  if (TRANSIENT_NETWORK_CODES.has(e.code ?? '') || name === 'TimeoutError' || name === 'RequestTimeout') {
    return new TransientProviderError(`AWS could not be reached${operation ? ` (EKS ${operation})` : ''}: ${message}`, { cause: error });
  }
  if (name.startsWith('AccessDenied')) return new PermanentProviderError(text, { cause: error });
  if (PERMANENT_NAMES.has(name)) return new PermanentProviderError(text, { cause: error });
  if (TRANSIENT_NAMES.has(name)) return new TransientProviderError(text, { cause: error });
  if (e.$retryable) return new TransientProviderError(text, { cause: error });
  if (typeof status === 'number' && status >= 500) return new TransientProviderError(text, { cause: error });
  if (status === 429) return new TransientProviderError(text, { cause: error });
  return new PermanentProviderError(text, { cause: error });
}
