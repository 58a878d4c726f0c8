/** What workflow steps of every family share about errors. */
import { TransactionContention } from '../store/table.ts';
import { TransientProviderError } from '../providers/provider.ts';

/** Step Functions' Cause is the Lambda error JSON on AWS and the bare message locally. */
export function readableCause(error: { Error?: string; Cause?: string } | undefined): string {
  if (!error) return 'the workflow failed';
  const cause = error.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (parsed.errorMessage) return parsed.errorMessage;
  } catch {
    // not JSON
  }
  return cause || error.Error || 'the workflow failed';
}

/**
 * Runs a step so that the state machine's Retry sees what a retry can cure: items kept
 * busy by concurrent transactions are transient, like a throttled provider.
 */
export async function asStepErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof TransactionContention) throw new TransientProviderError(error.message);
    throw error;
  }
}
