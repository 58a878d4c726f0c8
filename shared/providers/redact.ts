/** Keeping an account's secrets out of the messages a provider error carries (AKS, GKE). */
import { PermanentProviderError, TransientProviderError } from './provider.ts';

/** `text` with every non-empty secret replaced by `***`. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

/** The classified error as it is, or the same kind of error with its secrets redacted (the original as cause). */
export function redactedError(
  classified: TransientProviderError | PermanentProviderError,
  secrets: readonly string[] | undefined,
  cause: unknown,
): TransientProviderError | PermanentProviderError {
  const message = redactText(classified.message, secrets);
  if (message === classified.message) return classified;
  const Kind = classified instanceof TransientProviderError ? TransientProviderError : PermanentProviderError;
  return new Kind(message, { cause });
}
