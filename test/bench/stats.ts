/** Small helpers for the benchmark: latency summaries, a load generator and padded tables. */

export interface LatencySummary {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
  /** Completed operations per second over the scenario's wall time. */
  throughput: number;
  wallMs: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(samples: readonly number[], wallMs: number): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    throughput: wallMs > 0 ? (sorted.length * 1000) / wallMs : Number.NaN,
    wallMs,
  };
}

/**
 * Runs `total` operations with `concurrency` workers pulling from one counter (a closed
 * loop: each client sends its next request as soon as the previous one is answered).
 * Returns every operation's latency in ms and the wall time of the whole run.
 */
export async function runLoad(
  total: number,
  concurrency: number,
  op: (index: number) => Promise<void>,
): Promise<{ samples: number[]; wallMs: number }> {
  const samples: number[] = [];
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= total) return;
      const started = performance.now();
      await op(index);
      samples.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return { samples, wallMs: performance.now() - started };
}

/**
 * Runs several loads side by side in time: `rounds` rounds, each giving every op its share
 * of `total` in turn, so a burst of load from elsewhere on the machine (or DynamoDB Local
 * warming up) falls on all of them instead of skewing the one measured during it. Each
 * op's samples are pooled over the rounds; its wall time is the sum of its turns.
 */
export async function runInterleaved<K extends string>(
  total: number,
  concurrency: number,
  ops: Record<K, (index: number) => Promise<void>>,
  rounds = 5,
): Promise<Record<K, { samples: number[]; wallMs: number }>> {
  const names = Object.keys(ops) as K[];
  const pooled = Object.fromEntries(names.map((name) => [name, { samples: [] as number[], wallMs: 0 }])) as Record<K, { samples: number[]; wallMs: number }>;
  for (let round = 0; round < rounds; round++) {
    const share = Math.floor(total / rounds) + (round < total % rounds ? 1 : 0);
    for (const name of names) {
      const run = await runLoad(share, concurrency, ops[name]);
      pooled[name].samples.push(...run.samples);
      pooled[name].wallMs += run.wallMs;
    }
  }
  return pooled;
}

// ---------------------------------------------------------------------------------------------
// Formatting

export const ms = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
export const ratio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a');
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** A table with padded columns: text columns left-aligned, the others right-aligned. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], leftColumns = 1): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (text: string, i: number) => (i < leftColumns ? text.padEnd(widths[i]!) : text.padStart(widths[i]!));
  const line = (cells: readonly string[]) => cells.map((c, i) => cell(c, i)).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Counts the commands an AWS SDK client sends, by name (`GetItem`, `TransactWriteItems`, …). */
export function countCommands(client: { middlewareStack: { add: (...args: any[]) => void } }, name: string) {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next: (args: any) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
      counts.set(command, (counts.get(command) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name, override: true },
  );
  return { reset: () => counts.clear(), snapshot: () => Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b))) };
}
