/**
 * Following a long-running action: its operation polled with backoff until it ends,
 * each state handed to the caller (a progress bar of the operation's steps, a console
 * view), so the console and the CLI wait the same way.
 */
import { expectOk, type PaletteClient, type Schemas } from './index.ts';

export type Operation = Schemas['Operation'];

export interface WatchOptions {
  /** First pause between polls; each pause grows by half up to `maxIntervalMs`. */
  intervalMs?: number;
  maxIntervalMs?: number;
  /** Give up after this long (the operation goes on; the caller can watch again). */
  timeoutMs?: number;
  signal?: AbortSignal;
  onUpdate?: (operation: Operation) => void;
}

const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason ?? new Error('aborted'));
    }, { once: true });
  });

export class OperationTimeout extends Error {
  override readonly name = 'OperationTimeout';
  constructor(readonly operation: Operation, timeoutMs: number) {
    super(`operation ${operation.id} is still ${operation.status} after ${Math.round(timeoutMs / 1000)} s`);
  }
}

/** Polls the operation until it is no longer Running; resolves with its last state (Succeeded or Failed). */
export async function waitForOperation(client: PaletteClient, operationId: string, options: WatchOptions = {}): Promise<Operation> {
  const started = Date.now();
  let interval = options.intervalMs ?? 500;
  const max = options.maxIntervalMs ?? 5000;
  for (;;) {
    const operation = await expectOk(client.GET('/v1/operations/{id}', { params: { path: { id: operationId } } }));
    options.onUpdate?.(operation);
    if (operation.status !== 'Running') return operation;
    if (options.timeoutMs !== undefined && Date.now() - started >= options.timeoutMs) throw new OperationTimeout(operation, options.timeoutMs);
    await pause(interval, options.signal);
    interval = Math.min(max, Math.round(interval * 1.5));
  }
}
