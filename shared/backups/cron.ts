/**
 * Backup schedules are standard five-field cron expressions (minute hour day-of-month
 * month day-of-week), in UTC, read with cron-parser (checked at the API with the sleep
 * schedules' cronProblem). Only the run-backups job reads them.
 */
import { CronExpressionParser } from 'cron-parser';

/** The cron's latest time at or before `now`. */
export function latestFireTime(expression: string, now: Date): Date {
  // prev() is strictly before currentDate: a second past now includes a time of exactly now.
  return CronExpressionParser.parse(expression, { currentDate: new Date(now.getTime() + 1000), tz: 'UTC' }).prev().toDate();
}

/** Whether a backup is due: the cron fired since the schedule began and since the last one was started. */
export function dueFireTime(expression: string, state: { since: string; lastScheduledAt?: string | undefined }, now: Date): Date | undefined {
  const fired = latestFireTime(expression, now);
  const after = Math.max(Date.parse(state.since), state.lastScheduledAt ? Date.parse(state.lastScheduledAt) : 0);
  return fired.getTime() > after ? fired : undefined;
}
