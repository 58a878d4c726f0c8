/**
 * From meters to rates over time: each meter's segments are a step function of time
 * (state and allocation from each segment's `at` to the next); a host's segments give
 * its prices at every moment. `piecesOver` cuts a time range at every change of any
 * step function involved and returns the constant rates of each part (pieces.ts).
 */
import { hostRates, NO_RATES, type HostRates } from './prices.ts';
import { normalize, ZERO_RATES, type Piece, type Rates } from './pieces.ts';
import type { MeterItem, MeterSegment } from './meters.ts';

/** A step function of time: the value of the last step at or before t (absent before the first). */
export class Steps<T> {
  private readonly times: number[];
  private readonly values: T[];
  constructor(steps: ReadonlyArray<{ at: number; value: T }>) {
    const sorted = [...steps].sort((a, b) => a.at - b.at);
    this.times = sorted.map((s) => s.at);
    this.values = sorted.map((s) => s.value);
  }
  at(t: number): T | undefined {
    let lo = 0;
    let hi = this.times.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid]! <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found === -1 ? undefined : this.values[found];
  }
  /** The change points strictly inside (from, to). */
  cutsWithin(from: number, to: number): number[] {
    return this.times.filter((t) => t > from && t < to);
  }
  get first(): number | undefined {
    return this.times[0];
  }
  get last(): T | undefined {
    return this.values[this.values.length - 1];
  }
  get lastAt(): number | undefined {
    return this.times[this.times.length - 1];
  }
}

/** Seconds since the epoch (segments are whole seconds). */
export const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

export const segmentsOf = (meter: Pick<MeterItem, 'segments'>) => new Steps<MeterSegment>(meter.segments.map((s) => ({ at: seconds(s.at), value: s })));

export function hostPrices(meter: Pick<MeterItem, 'segments'>): Steps<HostRates | null> {
  return new Steps(
    meter.segments.map((s) => ({ at: seconds(s.at), value: s.state === 'ended' || !s.provider ? null : hostRates(s.provider, s.nodes ?? []) })),
  );
}

/** What a rate calculation needs at each moment, and where its inputs change. */
export interface RateSource {
  ratesAt(t: number): Rates;
  cutsWithin(from: number, to: number): number[];
  /** When the resource stopped accruing for good (its meter ended), if it did. */
  endedAt?: number;
  startedAt?: number;
}

/** Pieces with absolute seconds over [from, to). */
export function piecesOver(source: RateSource, from: number, to: number): Piece[] {
  if (to <= from) return [];
  const cuts = [...new Set([from, ...source.cutsWithin(from, to), to])].sort((a, b) => a - b);
  const pieces: Piece[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) pieces.push([cuts[i]!, cuts[i + 1]!, ...source.ratesAt(cuts[i]!)]);
  return normalize(pieces);
}

const GiB = 1024;

function allocationRates(state: MeterSegment['state'] | undefined, amounts: { cpu: number; memoryMiB: number; storageGiB: number }, prices: HostRates): Rates {
  if (state === 'running') {
    const memoryGiB = amounts.memoryMiB / GiB;
    return [amounts.cpu, memoryGiB, amounts.storageGiB, amounts.cpu * prices.cpuPerCoreHour + memoryGiB * prices.ramPerGiBHour, amounts.storageGiB * prices.storagePerGiBHour, 0, 0];
  }
  if (state === 'paused') {
    // A paused virtual cluster keeps its volumes and nothing else: storage, all of it idle spend.
    const storage = amounts.storageGiB * prices.storagePerGiBHour;
    return [0, 0, amounts.storageGiB, 0, storage, 0, storage];
  }
  return [...ZERO_RATES] as Rates;
}

const endOf = (steps: Steps<MeterSegment>) => (steps.last?.state === 'ended' ? steps.lastAt : undefined);

/** A virtual cluster: its allocation at its host's prices (unknown host: unpriced). */
export function virtualClusterSource(meter: MeterItem, host: Steps<HostRates | null> | undefined): RateSource {
  const own = segmentsOf(meter);
  return {
    ratesAt: (t) => {
      const seg = own.at(t);
      if (!seg) return [...ZERO_RATES] as Rates;
      return allocationRates(seg.state, { cpu: seg.cpu ?? 0, memoryMiB: seg.memoryMiB ?? 0, storageGiB: seg.storageGiB ?? 0 }, host?.at(t) ?? NO_RATES);
    },
    cutsWithin: (from, to) => [...own.cutsWithin(from, to), ...(host?.cutsWithin(from, to) ?? [])],
    endedAt: endOf(own),
    startedAt: own.first,
  };
}

/**
 * An app: its tiers' requests while its virtual cluster runs (storage while it is
 * paused), at the host's prices. An app lives within its virtual cluster's meter: it
 * ends with it (apps deleted with their cluster write no segment of their own), and
 * without it (a cluster older than metering, or whose meter has expired) it accrues
 * nothing.
 */
export function appSource(meter: MeterItem, cluster: MeterItem | undefined, host: Steps<HostRates | null> | undefined): RateSource {
  const own = segmentsOf(meter);
  const vc = cluster ? segmentsOf(cluster) : undefined;
  const ownEnd = endOf(own);
  const vcEnd = vc ? endOf(vc) : own.lastAt;
  return {
    ratesAt: (t) => {
      const seg = own.at(t);
      const vcState = vc?.at(t)?.state;
      if (!seg || seg.state === 'ended' || !vcState) return [...ZERO_RATES] as Rates;
      return allocationRates(vcState, { cpu: seg.cpu ?? 0, memoryMiB: seg.memoryMiB ?? 0, storageGiB: seg.storageGiB ?? 0 }, host?.at(t) ?? NO_RATES);
    },
    cutsWithin: (from, to) => [...own.cutsWithin(from, to), ...(vc?.cutsWithin(from, to) ?? []), ...(host?.cutsWithin(from, to) ?? [])],
    endedAt: ownEnd !== undefined && vcEnd !== undefined ? Math.min(ownEnd, vcEnd) : (ownEnd ?? vcEnd),
    startedAt: own.first,
  };
}

/**
 * A host cluster as it is paid for: capacity (cores, GiB, GiB of volumes) and cost,
 * with all of the cost in the idle fields (the allocations are taken out later).
 */
export function hostSource(meter: MeterItem): RateSource {
  const own = segmentsOf(meter);
  const prices = hostPrices(meter);
  return {
    ratesAt: (t) => {
      const rates = prices.at(t);
      if (!rates) return [...ZERO_RATES] as Rates;
      const compute = rates.hourly.controlPlane + rates.hourly.nodes;
      return [rates.capacity.cpu, rates.capacity.memoryGiB, rates.capacity.storageGiB, compute, rates.hourly.storage, compute, rates.hourly.storage];
    },
    cutsWithin: (from, to) => own.cutsWithin(from, to),
    endedAt: endOf(own),
    startedAt: own.first,
  };
}
