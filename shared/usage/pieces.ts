/**
 * Usage within one hour as a piecewise-constant function of time: each piece covers
 * whole seconds [s, e) of the hour (0 ≤ s < e ≤ 3600) and holds constant rates:
 *
 *   [s, e, cpu cores, memory GiB, storage GiB, compute $/h, storage $/h, idle compute $/h, idle storage $/h]
 *
 * Integrating a piece over t seconds gives rate × t / 3600 (core-hours, GiB-hours,
 * dollars). Records keep their pieces, so any window, to the second, is integrated
 * exactly, and pieces of many resources add up to an aggregate's pieces.
 */
export type Rates = [cpu: number, memoryGiB: number, storageGiB: number, compute: number, storage: number, idleCompute: number, idleStorage: number];
export type Piece = [s: number, e: number, ...rates: Rates];

export const HOUR_SECONDS = 3600;
export const ZERO_RATES: Rates = [0, 0, 0, 0, 0, 0, 0];

export interface UsageTotals {
  cpuCoreHours: number;
  memoryGiBHours: number;
  storageGiBHours: number;
  compute: number;
  storage: number;
  /** Spend with nothing to show for it: a paused cluster's storage, a host's unallocated capacity. */
  idleCompute: number;
  idleStorage: number;
}

export const zeroTotals = (): UsageTotals => ({ cpuCoreHours: 0, memoryGiBHours: 0, storageGiBHours: 0, compute: 0, storage: 0, idleCompute: 0, idleStorage: 0 });

export function addTotals(into: UsageTotals, more: UsageTotals): UsageTotals {
  into.cpuCoreHours += more.cpuCoreHours;
  into.memoryGiBHours += more.memoryGiBHours;
  into.storageGiBHours += more.storageGiBHours;
  into.compute += more.compute;
  into.storage += more.storage;
  into.idleCompute += more.idleCompute;
  into.idleStorage += more.idleStorage;
  return into;
}

const isZero = (rates: readonly number[]) => rates.every((r) => r === 0);

/** Σ over the pieces' overlap with [from, to) seconds of the hour. */
export function integrate(pieces: readonly Piece[], from = 0, to = HOUR_SECONDS): UsageTotals {
  const totals = zeroTotals();
  for (const piece of pieces) {
    const seconds = Math.min(piece[1], to) - Math.max(piece[0], from);
    if (seconds <= 0) continue;
    const hours = seconds / HOUR_SECONDS;
    totals.cpuCoreHours += piece[2] * hours;
    totals.memoryGiBHours += piece[3] * hours;
    totals.storageGiBHours += piece[4] * hours;
    totals.compute += piece[5] * hours;
    totals.storage += piece[6] * hours;
    totals.idleCompute += piece[7] * hours;
    totals.idleStorage += piece[8] * hours;
  }
  return totals;
}

/** Pieces in order, zero pieces dropped, neighbours with equal rates joined. */
export function normalize(pieces: readonly Piece[]): Piece[] {
  const out: Piece[] = [];
  for (const piece of [...pieces].sort((a, b) => a[0] - b[0])) {
    if (piece[1] <= piece[0] || isZero(piece.slice(2))) continue;
    const last = out[out.length - 1];
    if (last && last[1] === piece[0] && last.slice(2).every((v, i) => v === piece[i + 2])) last[1] = piece[1];
    else out.push([...piece] as Piece);
  }
  return out;
}

/** The piecewise sum of several piece lists (each `sign` +1 or −1). */
export function combine(lists: ReadonlyArray<{ pieces: readonly Piece[]; sign?: 1 | -1 }>): Piece[] {
  const cuts = new Set<number>();
  for (const { pieces } of lists) for (const p of pieces) cuts.add(p[0]).add(p[1]);
  const points = [...cuts].sort((a, b) => a - b);
  const out: Piece[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const s = points[i]!;
    const e = points[i + 1]!;
    const rates = [...ZERO_RATES] as Rates;
    for (const { pieces, sign = 1 } of lists) {
      for (const p of pieces) {
        if (p[0] <= s && p[1] >= e) for (let k = 0; k < 7; k++) rates[k]! += sign * p[k + 2]!;
      }
    }
    // Sums and differences of binary fractions leave dust (0.09 + 0.045 − 0.045 ≠ 0.09): rates are kept to 1e-12.
    out.push([s, e, ...(rates.map(clean) as Rates)]);
  }
  return normalize(out);
}

const clean = (value: number) => {
  const rounded = Math.round(value * 1e12) / 1e12;
  return rounded === 0 ? 0 : rounded;
};

/** The same pieces with their rates mapped (e.g. a host's idle share as a project's cost). */
export const mapRates = (pieces: readonly Piece[], map: (rates: Rates) => Rates): Piece[] =>
  normalize(pieces.map((p) => [p[0], p[1], ...map(p.slice(2) as Rates)] as Piece));

/** Rounds for output: six decimals (micro-dollars, micro-hours), no negative zero. */
export const round6 = (value: number) => {
  const rounded = Math.round(value * 1e6) / 1e6;
  return rounded === 0 ? 0 : rounded;
};
