/**
 * How the CLI fails: every error ends in one exit code and a message on stderr.
 * 0 ok, 1 the API (or the operation, or the network) said no, 2 the command line
 * itself was wrong, so scripts can tell "fix your invocation" from "the platform refused".
 */
import { CommanderError } from 'commander';
import { PaletteApiError } from '../client/index.ts';
import { OperationTimeout } from '../client/operations.ts';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A command line that cannot work: a bad value, a missing setting. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure that is not the API's refusal: a failed operation, an ambiguous name, an unreadable file. */
export class CliFailure extends Error {
  override readonly name: string = 'CliFailure';
}

/** No resource has the name given where an id or a name was expected. */
export class NoSuchName extends CliFailure {
  override readonly name = 'NoSuchName';
}

/** fetch's own errors carry no URL; this one says which API could not be reached. */
export class ApiUnreachable extends Error {
  override readonly name = 'ApiUnreachable';
  constructor(readonly baseUrl: string, cause: unknown) {
    super(`cannot reach the Palette API at ${baseUrl}: ${describeNetworkCause(cause)}`, { cause });
  }
}

function describeNetworkCause(cause: unknown): string {
  if (cause instanceof Error && cause.name === 'TimeoutError') return 'no answer in time';
  const inner = cause instanceof Error ? (cause.cause as { code?: string; message?: string } | undefined) : undefined;
  return inner?.code ?? inner?.message ?? (cause instanceof Error ? cause.message : String(cause));
}

/** Writes what went wrong to stderr and returns the exit code it deserves. */
export function reportError(error: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (error instanceof CommanderError) {
    // commander already printed its message: help or the version asked for (exit code 0), or what was wrong.
    return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (error instanceof UsageError) {
    stderr.write(`error: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (error instanceof PaletteApiError) {
    const { problem } = error;
    const code = problem.code ? ` (${problem.code})` : '';
    stderr.write(`error: ${problem.detail ?? problem.title ?? `HTTP ${error.status}`}${code}\n`);
    for (const entry of problem.errors ?? []) stderr.write(`  ${entry.path}: ${entry.message}\n`);
    return EXIT_FAILURE;
  }
  if (error instanceof OperationTimeout) {
    stderr.write(`error: ${error.message}; it goes on: palette op wait ${error.operation.id}\n`);
    return EXIT_FAILURE;
  }
  stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT_FAILURE;
}
