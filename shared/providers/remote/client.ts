/**
 * A ClusterProvider whose calls run in the cloud's provider function (functions.ts):
 * each method is one Lambda Invoke carrying the account with its secret still sealed;
 * the answer's error kind becomes the same error class the provider threw there.
 */
import type { AccountSettings } from '../../cloud-accounts/items.ts';
import { logger } from '../../observability/logger.ts';
import { FunctionFailed, invokeFunction } from '../../lambda/invoke.ts';
import { ClusterGoneError, PermanentProviderError, TransientProviderError, type ClusterProvider } from '../provider.ts';
import { providerFunctions, type RemoteProviderKind } from './functions.ts';
import type { ProviderAnswer, ProviderCall, ProviderMethod } from './protocol.ts';

export function createRemoteProvider(kind: RemoteProviderKind, account: AccountSettings): ClusterProvider {
  const fn = providerFunctions[kind];
  const call = async <T>(method: ProviderMethod, args: unknown[]): Promise<T> => {
    const functionName = process.env[fn.variable] ?? fn.functionName;
    const payload: ProviderCall = { method, account: account as ProviderCall['account'], args };
    let answer: ProviderAnswer;
    try {
      answer = await invokeFunction<ProviderAnswer>(functionName, payload);
    } catch (error) {
      // The function could not be run or crashed: nothing says the cloud refused, so try again.
      logger.warn('provider function call failed', { functionName, method, reason: (error as Error).message });
      throw new TransientProviderError(error instanceof FunctionFailed ? `the ${fn.cloud} provider failed: ${error.message}` : `the ${fn.cloud} provider could not be invoked: ${(error as Error).message}`);
    }
    if (answer.ok) return answer.result as T;
    const { kind: errorKind, message } = answer.error;
    if (errorKind === 'transient') throw new TransientProviderError(message);
    if (errorKind === 'gone') throw new ClusterGoneError(message);
    throw new PermanentProviderError(message);
  };
  return {
    kind,
    create: (input) => call('create', [input]),
    describe: (ref) => call('describe', [ref]),
    scaleNodePool: (ref, pool) => call('scaleNodePool', [ref, pool]),
    upgrade: (ref, version) => call('upgrade', [ref, version]),
    delete: (ref) => call('delete', [ref]),
    clusterAccess: (ref) => call('clusterAccess', [ref]),
  };
}
