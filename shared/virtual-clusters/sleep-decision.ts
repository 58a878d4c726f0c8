/**
 * What a virtual cluster's sleep schedule (sleep-schedule.ts: the fields and their
 * rules) says the scheduled job should do with it at a given instant. Pure; the fire
 * times are read with cron-parser, which only the scheduled function carries.
 */
import { CronExpressionParser } from 'cron-parser';
import type { VirtualClusterItem, VirtualClusterPhase } from './items.ts';
import type { ScheduleEvent, SleepSchedule } from './sleep-schedule.ts';

/** The last fire time of `expression` at or before `now`, undefined when it has none (or cannot be read). */
function lastFire(expression: string, timezone: string, now: Date): number | undefined {
  try {
    return CronExpressionParser.parse(expression.trim().split(/\s+/).join(' '), { currentDate: new Date(now.getTime() + 1), tz: timezone }).prev().getTime();
  } catch {
    return undefined;
  }
}

/** What the schedule says at `now`: the later of its last sleep and last wake (a tie: sleep). */
export function lastScheduleEvent(schedule: SleepSchedule, now: Date): ScheduleEvent | undefined {
  const sleep = lastFire(schedule.sleep, schedule.timezone, now);
  const wake = schedule.wake ? lastFire(schedule.wake, schedule.timezone, now) : undefined;
  if (sleep === undefined && wake === undefined) return undefined;
  if (wake === undefined || (sleep !== undefined && sleep >= wake)) return { event: 'sleep', at: new Date(sleep!).toISOString() };
  return { event: 'wake', at: new Date(wake).toISOString() };
}

const transitional = new Set<VirtualClusterPhase>(['Pending', 'Provisioning', 'Pausing', 'Resuming', 'Deleting']);

export type SleepDecision =
  | { action: 'none' }
  | { action: 'delete'; idleDays: number }
  | { action: 'pause'; event: ScheduleEvent }
  | { action: 'resume'; event: ScheduleEvent }
  | { action: 'record'; event: ScheduleEvent };

type Settings = Pick<VirtualClusterItem, 'status' | 'lastActivityAt' | 'sleepSchedule' | 'sleepScheduleApplied' | 'preventWake' | 'deleteAfterIdleDays'>;

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * What the job does with a virtual cluster at `now`: delete it (idle past
 * `deleteAfterIdleDays`), pause or resume it (the schedule's last fire time, not
 * applied yet), only remember that fire time (the cluster is already there), or
 * nothing (a change is in progress, or the fire time was applied already).
 */
export function decideSleep(vc: Settings, now: Date): SleepDecision {
  const phase = vc.status.phase;
  if (transitional.has(phase)) return { action: 'none' };
  if (vc.deleteAfterIdleDays !== undefined && (phase === 'Running' || phase === 'Paused')) {
    const idle = now.getTime() - Date.parse(vc.lastActivityAt);
    if (idle >= vc.deleteAfterIdleDays * DAY_MS) return { action: 'delete', idleDays: Math.floor(idle / DAY_MS) };
  }
  if (!vc.sleepSchedule) return { action: 'none' };
  const event = lastScheduleEvent(vc.sleepSchedule, now);
  if (!event) return { action: 'none' };
  if (vc.sleepScheduleApplied?.event === event.event && vc.sleepScheduleApplied.at === event.at) return { action: 'none' };
  if (event.event === 'sleep') {
    if (phase === 'Running') return { action: 'pause', event };
    if (phase === 'Paused') return { action: 'record', event };
    return { action: 'none' };
  }
  if (phase === 'Paused') return vc.preventWake ? { action: 'none' } : { action: 'resume', event };
  if (phase === 'Running') return { action: 'record', event };
  return { action: 'none' };
}

/**
 * When idle auto-pause (`sleepAfterMinutes`) starts counting: the last activity, or
 * the schedule's wake if that came later (a scheduled wake is not activity, but a
 * cluster the schedule just woke is not paused again at once for being idle).
 */
export function idleSince(vc: Pick<VirtualClusterItem, 'lastActivityAt' | 'sleepScheduleApplied'>): number {
  const activity = Date.parse(vc.lastActivityAt);
  const woke = vc.sleepScheduleApplied?.event === 'wake' ? Date.parse(vc.sleepScheduleApplied.at) : 0;
  return Math.max(activity, woke);
}
