/**
 * Sleep schedules (vCluster Platform's scheduled sleep and auto-delete): what a
 * virtual cluster's `sleepSchedule`, `preventWake` and `deleteAfterIdleDays` say it
 * should be at a given instant. Pure: the scheduled job (shared/jobs/sleep-schedules.ts)
 * reads the decision and acts on it through the normal pause, resume and delete.
 *
 * - `sleepSchedule: { sleep, wake?, timezone }`: five-field crons in an IANA time zone.
 *   Of the last `sleep` and the last `wake` fire time at or before now, the later one
 *   says whether the cluster should be asleep (a tie: asleep). `wake` may be left out
 *   (as in vCluster): the schedule then only puts the cluster to sleep.
 * - Each fire time is applied once: once the job has brought the cluster to what the
 *   last fire time says (or found it there), it remembers that fire time
 *   (`sleepScheduleApplied`) and leaves the cluster alone until the next one, so a
 *   cluster resumed or paused by hand stays so until the schedule fires again.
 * - `preventWake`: the schedule never resumes the cluster; a manual resume still works.
 * - `deleteAfterIdleDays`: a Running or Paused cluster without activity (`lastActivityAt`;
 *   pausing and resuming by the platform is not activity) for that long is deleted.
 */
import { cronSyntaxProblem } from './cron-syntax.ts';
import * as z from 'zod';

/** Why a cron is not one this platform takes, or undefined when it is (no cron library: see cron-syntax.ts). */
export const cronProblem = (expression: string): string | undefined => cronSyntaxProblem(expression);

/** An IANA time zone name (`Europe/Berlin`, `America/New_York`, `UTC`); offsets such as `UTC+2` or `+02:00` are not. */
export function isIanaTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name) || /^(UTC|GMT)[+-]/i.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const cron = (what: string) =>
  z
    .string()
    .max(200)
    .superRefine((value, ctx) => {
      const problem = cronProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .meta({ description: `when the virtual cluster ${what}: a five-field cron (minute hour day-of-month month day-of-week) in \`timezone\``, example: what === 'is paused' ? '0 19 * * 1-5' : '0 8 * * 1-5' });

export const sleepScheduleBody = z
  .strictObject({
    sleep: cron('is paused'),
    wake: cron('is resumed').optional().meta({ description: 'when the virtual cluster is resumed (left out: the schedule only pauses it)' }),
    timezone: z
      .string()
      .max(64)
      .refine(isIanaTimeZone, 'must be an IANA time zone such as Europe/Berlin, America/New_York or UTC (not an offset such as UTC+2)')
      .default('UTC')
      .meta({ description: 'the IANA time zone the crons are read in (default UTC)', example: 'Europe/Berlin' }),
  })
  .refine((s) => s.wake === undefined || s.wake.trim().split(/\s+/).join(' ') !== s.sleep.trim().split(/\s+/).join(' '), { message: 'must differ from sleep', path: ['wake'] })
  .meta({ id: 'SleepSchedule', description: 'paused at each `sleep` fire time, resumed at each `wake` fire time (README "Sleep schedules")' });

export const deleteAfterIdleDays = z
  .number()
  .int('whole days')
  .min(1)
  .max(365)
  .meta({ description: 'deleted through the normal delete after this many days without activity (paused days count as idle)' });

/** The stored schedule (the body's, with its time zone filled in). */
export const sleepScheduleItem = z.object({ sleep: z.string(), wake: z.string().optional(), timezone: z.string() });
export type SleepSchedule = z.infer<typeof sleepScheduleItem>;

/** The schedule's fire time the job last brought the virtual cluster to (or found it at). */
export const sleepScheduleAppliedItem = z.object({ event: z.enum(['sleep', 'wake']), at: z.string() });
export type ScheduleEvent = z.infer<typeof sleepScheduleAppliedItem>;
