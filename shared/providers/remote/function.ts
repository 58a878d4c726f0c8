/**
 * The provider function of one cloud (functions/providers/*.ts): opens the account's
 * sealed secret, makes the cloud's provider and runs the one method asked for. Errors
 * come back as data with their kind (protocol.ts), so the caller rethrows the same
 * class; the message is the provider's, written for a person and free of secrets.
 */
import type { Context } from 'aws-lambda';
import { withInvocationLogger, logger } from '../../observability/logger.ts';
import { ClusterGoneError, PermanentProviderError, TransientProviderError, type ClusterProvider } from '../provider.ts';
import { providerFunctions, type RemoteProviderKind } from './functions.ts';
import { providerCall, type ProviderAnswer, type ProviderCall } from './protocol.ts';

export function createProviderFunction(kind: RemoteProviderKind, open: (account: ProviderCall['account']) => Promise<ClusterProvider>) {
  return withInvocationLogger(providerFunctions[kind].functionName, async (event: unknown, _context: Context): Promise<ProviderAnswer> => {
    const parsed = providerCall.safeParse(event);
    if (!parsed.success) return { ok: false, error: { kind: 'permanent', message: `the ${kind} provider was called with a malformed request` } };
    const { method, account, args } = parsed.data;
    try {
      const provider = await open(account);
      const run = provider[method] as (...a: unknown[]) => Promise<unknown>;
      const result = await run.apply(provider, args);
      return { ok: true, result: result ?? null };
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      if (error instanceof ClusterGoneError) return { ok: false, error: { kind: 'gone', message } };
      if (error instanceof TransientProviderError) return { ok: false, error: { kind: 'transient', message } };
      if (error instanceof PermanentProviderError) return { ok: false, error: { kind: 'permanent', message } };
      // Not a classified provider error: a bug or an SDK surprise. Log it whole here; say only that much there.
      logger.error('provider call failed unexpectedly', { method, error: error as Error });
      return { ok: false, error: { kind: 'transient', message: `the ${kind} provider failed unexpectedly: ${message.slice(0, 300)}` } };
    }
  });
}
