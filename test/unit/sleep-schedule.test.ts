/**
 * What a sleep schedule says at a given instant (shared/virtual-clusters/sleep-schedule.ts),
 * at fixed instants: time zones and daylight saving, the later fire time winning, each
 * fire time applied once, preventWake, transitional phases and idle deletion.
 */
import { describe, expect, it } from 'vitest';
import { cronProblem, isIanaTimeZone, sleepScheduleBody } from '#shared/virtual-clusters/sleep-schedule.ts';
import { decideSleep, lastScheduleEvent } from '#shared/virtual-clusters/sleep-decision.ts';
import type { VirtualClusterPhase } from '#shared/virtual-clusters/items.ts';

const officeHours = { sleep: '0 19 * * 1-5', wake: '0 8 * * 1-5', timezone: 'Europe/Berlin' };
const cluster = (phase: VirtualClusterPhase, extra: Record<string, unknown> = {}) => ({
  status: { phase },
  lastActivityAt: '2026-03-10T09:00:00.000Z',
  sleepSchedule: officeHours,
  preventWake: false,
  ...extra,
});

describe('a sleep schedule at an instant', () => {
  it('reads its crons in its time zone, daylight saving included', () => {
    // Tuesday 10 March 2026, 12:00 UTC = 13:00 in Berlin (CET): woken at 08:00 CET = 07:00 UTC.
    expect(lastScheduleEvent(officeHours, new Date('2026-03-10T12:00:00Z'))).toEqual({ event: 'wake', at: '2026-03-10T07:00:00.000Z' });
    // 19:30 in Berlin: asleep since 19:00 CET = 18:00 UTC.
    expect(lastScheduleEvent(officeHours, new Date('2026-03-10T18:30:00Z'))).toEqual({ event: 'sleep', at: '2026-03-10T18:00:00.000Z' });
    // In summer (CEST) the same 19:00 is 17:00 UTC.
    expect(lastScheduleEvent(officeHours, new Date('2026-07-07T17:30:00Z'))).toEqual({ event: 'sleep', at: '2026-07-07T17:00:00.000Z' });
    // Saturday noon: asleep since Friday evening.
    expect(lastScheduleEvent(officeHours, new Date('2026-03-14T12:00:00Z'))).toEqual({ event: 'sleep', at: '2026-03-13T18:00:00.000Z' });
  });

  it('counts a fire time at exactly now, lets sleep win a tie, and without wake only ever sleeps', () => {
    expect(lastScheduleEvent(officeHours, new Date('2026-03-10T18:00:00Z'))).toEqual({ event: 'sleep', at: '2026-03-10T18:00:00.000Z' });
    expect(lastScheduleEvent({ sleep: '0 * * * *', wake: '0 9 * * *', timezone: 'UTC' }, new Date('2026-03-10T09:30:00Z'))).toEqual({ event: 'sleep', at: '2026-03-10T09:00:00.000Z' });
    expect(lastScheduleEvent({ sleep: '0 19 * * *', timezone: 'UTC' }, new Date('2026-03-10T09:30:00Z'))).toEqual({ event: 'sleep', at: '2026-03-09T19:00:00.000Z' });
  });
});

describe('what the job does', () => {
  const evening = new Date('2026-03-10T18:30:00Z');
  const morning = new Date('2026-03-10T12:00:00Z');

  it('pauses a Running cluster and resumes a Paused one, once per fire time', () => {
    expect(decideSleep(cluster('Running'), evening)).toEqual({ action: 'pause', event: { event: 'sleep', at: '2026-03-10T18:00:00.000Z' } });
    expect(decideSleep(cluster('Paused'), morning)).toEqual({ action: 'resume', event: { event: 'wake', at: '2026-03-10T07:00:00.000Z' } });
    // Already where the schedule says: only remembered.
    expect(decideSleep(cluster('Paused'), evening)).toMatchObject({ action: 'record' });
    // Applied already, then resumed by hand: left alone until the next fire time.
    const applied = { sleepScheduleApplied: { event: 'sleep', at: '2026-03-10T18:00:00.000Z' } };
    expect(decideSleep(cluster('Running', applied), evening)).toEqual({ action: 'none' });
    expect(decideSleep(cluster('Running', applied), new Date('2026-03-11T18:30:00Z'))).toMatchObject({ action: 'pause' });
  });

  it('never resumes with preventWake, and skips transitional phases and Error', () => {
    expect(decideSleep(cluster('Paused', { preventWake: true }), morning)).toEqual({ action: 'none' });
    expect(decideSleep(cluster('Running', { preventWake: true }), evening)).toMatchObject({ action: 'pause' });
    for (const phase of ['Pending', 'Provisioning', 'Pausing', 'Resuming', 'Deleting', 'Error'] as const) {
      expect(decideSleep(cluster(phase, { deleteAfterIdleDays: 1 }), new Date('2027-01-01T00:00:00Z')), phase).toEqual({ action: 'none' });
    }
  });

  it('deletes a Running or Paused cluster idle for deleteAfterIdleDays, before anything the schedule says', () => {
    const now = new Date('2026-03-17T09:00:00Z');
    expect(decideSleep(cluster('Paused', { deleteAfterIdleDays: 7 }), now)).toEqual({ action: 'delete', idleDays: 7 });
    expect(decideSleep(cluster('Running', { deleteAfterIdleDays: 7 }), now)).toEqual({ action: 'delete', idleDays: 7 });
    expect(decideSleep(cluster('Running', { deleteAfterIdleDays: 8, sleepSchedule: undefined }), now)).toEqual({ action: 'none' });
  });
});

describe('validation', () => {
  it('takes five-field crons only', () => {
    expect(cronProblem('0 19 * * 1-5')).toBeUndefined();
    expect(cronProblem('0 19 * * MON-FRI')).toBeUndefined();
    expect(cronProblem('0 19 * *')).toMatch(/five fields/);
    expect(cronProblem('0 0 19 * * *')).toMatch(/five fields/);
    expect(cronProblem('@daily')).toMatch(/five fields/);
    expect(cronProblem('H 19 * * *')).toMatch(/random/);
    expect(cronProblem('0 25 * * *')).toMatch(/not a valid cron/);
    expect(cronProblem('0 0 31 2 *')).toMatch(/not a valid cron/);
  });

  it('takes IANA time zones, not offsets', () => {
    for (const zone of ['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Etc/GMT+2']) expect(isIanaTimeZone(zone), zone).toBe(true);
    for (const zone of ['Mars/Olympus', 'UTC+2', 'GMT-5', '+02:00', '', 'Europe/']) expect(isIanaTimeZone(zone), zone).toBe(false);
  });

  it('fills in UTC and refuses the same cron for sleep and wake', () => {
    expect(sleepScheduleBody.parse({ sleep: '0 19 * * *' })).toEqual({ sleep: '0 19 * * *', timezone: 'UTC' });
    const same = sleepScheduleBody.safeParse({ sleep: '0 19 * * *', wake: '0  19 * * *' });
    expect(same.success).toBe(false);
    expect(same.error?.issues.map((i) => i.path.join('.'))).toEqual(['wake']);
  });
});
