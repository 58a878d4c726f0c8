/**
 * The local stand-in for the EventBridge schedule: every interval it invokes the
 * scheduled function once per job, in the schedule's order, as EventBridge would
 * (`{ job }`). A tick starts only when the previous one has ended, so runs never pile up.
 */
import { jobNames } from '#shared/jobs/schedule.ts';

export function startJobTimer(invoke: (job: string) => Promise<unknown>, intervalSeconds: number, log?: (line: string) => void) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = async () => {
    for (const job of jobNames) {
      if (stopped) return;
      try {
        await invoke(job);
      } catch (error) {
        log?.(`scheduled job ${job} failed: ${(error as Error).message}`);
      }
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(schedule);
    }, intervalSeconds * 1000);
    timer.unref();
  };
  schedule();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
