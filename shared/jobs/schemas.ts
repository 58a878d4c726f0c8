import * as z from 'zod';
import { timestamp } from '../api/schema-kit.ts';
import { jobNames } from './schedule.ts';

/** Any name is taken here: an unknown job is a 404, not a 400. */
export const jobParams = z.strictObject({
  name: z.string().min(1).max(64).meta({ description: `one of ${jobNames.map((n) => `\`${n}\``).join(', ')}` }),
});

export const jobRun = z
  .object({
    name: z.enum(jobNames),
    startedAt: timestamp,
    endedAt: timestamp,
    summary: z
      .object({ complete: z.boolean().meta({ description: 'false when the job stopped at its time or item bound; the schedule continues it' }) })
      .catchall(z.unknown())
      .meta({ description: 'what the job found and did; the fields depend on the job (README "Scheduled jobs")' }),
  })
  .meta({ id: 'JobRun' });
