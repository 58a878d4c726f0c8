import { describe, expect, it } from 'vitest';
import { instanceTypes } from '#shared/host-clusters/instance-types.ts';
import { combine, integrate, normalize, type Piece } from '#shared/usage/pieces.ts';
import { hostRates, nodePricePerHour, OPENCOST_DEFAULT, OWNED_HARDWARE, ownedNodeType } from '#shared/usage/prices.ts';
import { partsOf, windowOf } from '#shared/usage/usage.ts';
import { duePeriods } from '#shared/reports/reports.ts';

const H = 3_600_000;
const D = 24 * H;
const t0 = Date.parse('2026-03-10T00:00:00Z');

describe('the price table', () => {
  it('prices every instance type a node pool may use', () => {
    expect(Object.keys(instanceTypes).filter((type) => !(type in nodePricePerHour))).toEqual([]);
  });

  it('splits a sim node\'s price back into exactly its list prices per core-hour and GiB-hour', () => {
    const rates = hostRates('sim', [{ instanceType: 'sim.4xlarge', count: 2 }]);
    expect(rates.cpuPerCoreHour).toBeCloseTo(0.02, 12);
    expect(rates.ramPerGiBHour).toBeCloseTo(0.0025, 12);
    expect(rates.hourly).toEqual({ controlPlane: 0.05, nodes: 3.84, storage: expect.closeTo(0.2, 12) });
  });

  it('splits an EKS node group\'s price in OpenCost\'s CPU:RAM ratio so the parts add up to the price', () => {
    const rates = hostRates('eks', [{ instanceType: 'm5.large', count: 3 }, { instanceType: 'r5.xlarge', count: 1 }]);
    const nodes = 3 * 0.096 + 0.252;
    expect(rates.capacity).toEqual({ cpu: 10, memoryGiB: 56, storageGiB: 80 });
    expect(rates.cpuPerCoreHour * 10 + rates.ramPerGiBHour * 56).toBeCloseTo(nodes, 12);
    expect(rates.cpuPerCoreHour / rates.ramPerGiBHour).toBeCloseTo(OPENCOST_DEFAULT.cpuPerCoreHour / OPENCOST_DEFAULT.ramPerGiBHour, 9);
    expect(rates.hourly.controlPlane).toBe(0.1);
  });

  it("prices owned machines (edge hosts, vSphere sizes) per core and GiB at OWNED_HARDWARE, with no control plane fee", () => {
    const edge = hostRates('edge', [{ instanceType: ownedNodeType({ cpu: 4, memoryMiB: 8192, storageGiB: 100 }), count: 1 }, { instanceType: ownedNodeType({ cpu: 8, memoryMiB: 16384, storageGiB: 200 }), count: 2 }]);
    expect(edge.capacity).toEqual({ cpu: 20, memoryGiB: 40, storageGiB: 500 });
    expect(edge.hourly.controlPlane).toBe(0);
    expect(edge.hourly.nodes).toBeCloseTo(20 * OWNED_HARDWARE.cpuPerCoreHour + 40 * OWNED_HARDWARE.ramPerGiBHour, 3);
    const vsphere = hostRates('vsphere', [{ instanceType: 'vsphere.medium', count: 2 }]);
    expect(vsphere.hourly.nodes).toBeCloseTo(2 * (4 * OWNED_HARDWARE.cpuPerCoreHour + 16 * OWNED_HARDWARE.ramPerGiBHour), 4);
    expect(hostRates('edge', [{ instanceType: 'owned:not-a-size', count: 1 }]).capacity.cpu).toBe(0);
  });
});

describe('pieces of an hour', () => {
  const a: Piece[] = [[0, 1800, 4, 4, 2, 0.09, 0.0002, 0, 0]];
  const b: Piece[] = [[900, 3600, 2, 2, 1, 0.045, 0.0001, 0, 0.0001]];

  it('integrate to the second over any part of the hour', () => {
    expect(integrate(a).cpuCoreHours).toBe(2);
    expect(integrate(a, 1700, 2000).cpuCoreHours).toBeCloseTo((4 * 100) / 3600, 12);
    expect(integrate(a, 1800, 3600).cpuCoreHours).toBe(0);
  });

  it('add up piecewise, and subtract, so an aggregate integrates to the sum of its parts over any window', () => {
    const sum = combine([{ pieces: a }, { pieces: b }]);
    expect(sum.map((p) => p.slice(0, 3))).toEqual([[0, 900, 4], [900, 1800, 6], [1800, 3600, 2]]);
    for (const [from, to] of [[0, 3600], [450, 2700], [1799, 1801]] as const) {
      expect(integrate(sum, from, to).compute).toBeCloseTo(integrate(a, from, to).compute + integrate(b, from, to).compute, 12);
    }
    expect(combine([{ pieces: sum }, { pieces: b, sign: -1 }])).toEqual(a);
  });

  it('drop empty pieces and join equal neighbours', () => {
    expect(normalize([[0, 10, 1, 0, 0, 0, 0, 0, 0], [10, 20, 1, 0, 0, 0, 0, 0, 0], [20, 30, 0, 0, 0, 0, 0, 0, 0]])).toEqual([[0, 20, 1, 0, 0, 0, 0, 0, 0]]);
  });
});

describe('a usage window', () => {
  it('is read as partial hours, whole hours and whole days, covering it exactly once', () => {
    const window = { from: t0 + 10 * H + 30 * 60_000, to: t0 + 2 * D + 12 * H + 15 * 60_000 };
    const parts = partsOf(window);
    expect(parts.map((p) => p.grain)).toEqual(['P', 'H', 'D', 'H', 'P']);
    let covered = window.from;
    for (const part of parts) {
      expect(part.from).toBe(covered);
      covered = part.to;
    }
    expect(covered).toBe(window.to);
    expect(partsOf(window, 'hour').map((p) => p.grain)).toEqual(['P', 'H', 'P']);
  });

  it('refuses what cannot be read, naming the field', () => {
    expect(() => windowOf({ from: '2026-03-10', to: '2026-03-09' })).toThrow(/must come after/);
    expect(() => windowOf({ from: '2026-01-01', to: '2026-03-10', step: 'hour' })).toThrow(/step=hour/);
    expect(windowOf({ from: '2026-03-10', to: '2026-03-11T00:00:00+01:00' })).toEqual({ from: t0, to: t0 + 23 * H });
  });
});

describe('the reports that are due', () => {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const of = (periods: Array<{ kind: string; start: number }>, kind: string) => periods.filter((p) => p.kind === kind).map((p) => day(p.start));

  it('are final for the last seven days, the last two whole ISO weeks and the last two calendar months, none before the tenant existed', () => {
    const closed = Date.parse('2026-03-12T09:00:00Z'); // a Thursday
    const { final } = duePeriods(closed, closed + 30 * 60_000, Date.parse('2026-01-01T00:00:00Z'));
    expect(of(final, 'daily')).toEqual(['2026-03-11', '2026-03-10', '2026-03-09', '2026-03-08', '2026-03-07', '2026-03-06', '2026-03-05']);
    expect(of(final, 'weekly')).toEqual(['2026-03-02', '2026-02-23']);
    expect(of(final, 'monthly')).toEqual(['2026-02-01', '2026-01-01']);
    expect(duePeriods(closed, closed, Date.parse('2026-03-10T08:00:00Z')).final.map((p) => day(p.start))).toEqual(['2026-03-11', '2026-03-10']);
  });

  it('are partial for the current day, week and month so far, as of where the rollup reached, a tenant created a moment ago too', () => {
    const closed = Date.parse('2026-03-12T09:00:00Z');
    const reached = Date.parse('2026-03-12T09:41:07Z');
    const { partial } = duePeriods(closed, reached, reached - 1000);
    expect(partial.map((p) => [p.kind, day(p.start), new Date(p.asOf).toISOString()])).toEqual([
      ['daily', '2026-03-12', '2026-03-12T09:41:07.000Z'],
      ['weekly', '2026-03-09', '2026-03-12T09:41:07.000Z'],
      ['monthly', '2026-03-01', '2026-03-12T09:41:07.000Z'],
    ]);
  });

  it('keep a period partial until its last hour is closed, and then make it final, however late the run', () => {
    // Rolled up past midnight, the last hour of the month not closed yet: the month just ended stays partial, the new one begins.
    const { partial, final } = duePeriods(Date.parse('2026-03-31T23:00:00Z'), Date.parse('2026-04-01T00:00:30Z'), 0);
    expect(partial.filter((p) => p.kind === 'monthly').map((p) => [day(p.start), new Date(p.asOf).toISOString()])).toEqual([
      ['2026-03-01', '2026-04-01T00:00:00.000Z'],
      ['2026-04-01', '2026-04-01T00:00:30.000Z'],
    ]);
    expect(of(final, 'monthly')).toEqual(['2026-02-01', '2026-01-01']);
    // A month later, past the backfill: what that run left partial is made final all the same.
    const late = duePeriods(Date.parse('2026-05-20T10:00:00Z'), Date.parse('2026-05-20T10:30:00Z'), 0, [{ from: Date.parse('2026-03-31T23:00:00Z'), to: Date.parse('2026-04-01T00:00:30Z') }]);
    expect(of(late.final, 'daily')).toContain('2026-03-31');
    expect(of(late.final, 'daily')).toContain('2026-04-01');
    expect(of(late.final, 'weekly')).toContain('2026-03-30');
    expect(of(late.final, 'monthly')).toEqual(['2026-04-01', '2026-03-01']);
  });
});
