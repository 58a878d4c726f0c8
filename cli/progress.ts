/**
 * `--wait`: following an operation to its end. On a terminal a progress bar over the
 * operation's steps (done/total, the running step and its message); anywhere else (a
 * pipe, a CI log) one plain line each time a step changes, e.g. `provision: Succeeded`.
 * Both go to stderr, so `-o json --wait` still prints nothing but JSON on stdout.
 */
import { Presets, SingleBar } from 'cli-progress';
import type { PaletteClient } from '../client/index.ts';
import { waitForOperation, type Operation } from '../client/operations.ts';

export interface WaitSettings {
  timeoutMs: number;
  stream?: NodeJS.WriteStream;
}

/** Polls the operation until it ends and shows its steps; resolves with its last state. */
export async function followOperation(client: PaletteClient, operationId: string, settings: WaitSettings): Promise<Operation> {
  const stream = settings.stream ?? process.stderr;
  const view = stream.isTTY ? barView(stream) : lineView(stream);
  try {
    return await waitForOperation(client, operationId, { timeoutMs: settings.timeoutMs, onUpdate: view.update });
  } finally {
    view.stop();
  }
}

interface OperationView {
  update(operation: Operation): void;
  stop(): void;
}

/** The step that says what is happening now: the running one, else the last one that ended. */
function currentStep(operation: Operation): Operation['steps'][number] | undefined {
  return operation.steps.find((s) => s.status === 'Running') ?? operation.steps.findLast((s) => s.status !== 'Pending');
}

function barView(stream: NodeJS.WriteStream): OperationView {
  const bar = new SingleBar(
    { stream, format: '{bar} {value}/{total} {step}', hideCursor: true, clearOnComplete: false, barsize: 30 },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(operation) {
      const step = currentStep(operation);
      const label = step ? `${step.name}${step.message ? `: ${step.message}` : ` ${step.status.toLowerCase()}`}` : operation.kind;
      const total = Math.max(operation.progress.total, 1);
      if (!started) {
        bar.start(total, operation.progress.done, { step: label });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(operation.progress.done, { step: label });
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function lineView(stream: NodeJS.WritableStream): OperationView {
  const seen = new Map<string, string>();
  return {
    update(operation) {
      for (const step of operation.steps) {
        const state = `${step.status}\u0000${step.message ?? ''}`;
        if (step.status === 'Pending' || seen.get(step.name) === state) continue;
        seen.set(step.name, state);
        stream.write(`${step.name}: ${step.status}${step.message ? ` (${step.message})` : ''}\n`);
      }
    },
    stop() {},
  };
}
