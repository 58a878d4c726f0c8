import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyValidationError,
} from '@aws-lambda-powertools/idempotency';
import { ApiError } from '../errors.ts';

/** Turns anything thrown while serving a request into the contract's ApiError. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof IdempotencyValidationError) {
    return new ApiError('idempotency_conflict', 'this Idempotency-Key was used with a different request body');
  }
  if (error instanceof IdempotencyAlreadyInProgressError) {
    return new ApiError('conflict', 'a request with this Idempotency-Key is still in progress; retry shortly');
  }
  const status = (error as { statusCode?: number; status?: number })?.statusCode;
  if (status === 415 || status === 422 || (status === 400 && (error as Error).message)) {
    // middy's JSON body parser: malformed JSON (422), forbidden keys such as __proto__ (400).
    return new ApiError('validation_failed', 'the request body is not valid JSON', [
      { path: 'body', message: (error as Error).message },
    ]);
  }
  if (status === 413) return new ApiError('payload_too_large', (error as Error).message);
  return new ApiError('internal', 'an unexpected error occurred; it has been logged');
}

export function problemResponse(error: ApiError, requestId?: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: error.status,
    headers: { 'content-type': 'application/problem+json', ...(requestId ? { 'x-request-id': requestId } : {}) },
    body: JSON.stringify({
      type: `https://palette.dev/problems/${error.code.replaceAll('_', '-')}`,
      title: error.title,
      status: error.status,
      code: error.code,
      detail: error.message,
      ...(error.errors ? { errors: error.errors } : {}),
    }),
  };
}
