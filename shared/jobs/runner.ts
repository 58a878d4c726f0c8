/**
 * Runs one bounded invocation of a scheduled job: takes the job's lease (two runs of
 * the same job never overlap: the timer and an on-demand call, or a slow tick and the
 * next), runs it within a time and item budget, and records the run. Each job keeps
 * its own continuation in the table, so the next invocation resumes where this one
 * stopped.
 */
import { randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ApiError } from '../errors.ts';
import { logger } from '../observability/logger.ts';
import type { Store } from '../store/client.ts';
import { keys } from '../store/keys.ts';
import { isConditionFailure } from '../store/table.ts';
import { JOB_MAX_ITEMS, type JobName } from './schedule.ts';

export interface JobContext {
  store: Store;
  /** The instant the job treats as now (tests and benchmarks may set it). */
  now: Date;
  /** Epoch ms after which the job stops taking new work and stores its continuation. */
  deadline: number;
  /** Items (resources, operations, tenants) at most in this invocation. */
  maxItems: number;
  /** Who the audit log names for what the job changes. */
  actor: string;
  runId: string;
  /** Items per page of a work list (default: each job's own; tests and benchmarks make it small to see many pages). */
  pageSize?: number;
}

export interface JobOutcome {
  summary: Record<string, unknown>;
  /** Work is left: the continuation is stored and the next invocation resumes it. */
  more: boolean;
}

export type Job = (context: JobContext) => Promise<JobOutcome>;

export interface JobRun {
  name: JobName;
  startedAt: string;
  endedAt: string;
  summary: Record<string, unknown> & { complete: boolean };
}

export interface RunOptions {
  budgetMs: number;
  maxItems?: number;
  now?: Date;
  /** How long to wait for a run of the same job that holds the lease (0: give up at once). */
  waitForLeaseMs?: number;
  pageSize?: number;
}

/** The job's lease: held for its budget plus a margin, so a run that died frees it. */
async function acquireLease(store: Store, name: JobName, leaseId: string, holdMs: number): Promise<boolean> {
  const now = Date.now();
  try {
    await store.doc.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: keys.jobPart(name, '#RUN'),
        UpdateExpression: 'SET #type = :type, leaseId = :id, leaseUntil = :until',
        ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':type': 'jobrun', ':id': leaseId, ':until': now + holdMs, ':now': now },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

async function releaseLease(store: Store, name: JobName, leaseId: string, run: JobRun) {
  await store.doc
    .send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: keys.jobPart(name, '#RUN'),
        UpdateExpression: 'SET leaseUntil = :free, lastRun = :run',
        ConditionExpression: 'leaseId = :id',
        ExpressionAttributeValues: { ':free': 0, ':run': JSON.parse(JSON.stringify(run)) as unknown, ':id': leaseId },
      }),
    )
    .catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
}

export async function runJob(store: Store, name: JobName, job: Job, options: RunOptions): Promise<JobRun> {
  const leaseId = randomUUID();
  const holdMs = options.budgetMs + 60_000;
  const waitUntil = Date.now() + (options.waitForLeaseMs ?? 0);
  while (!(await acquireLease(store, name, leaseId, holdMs))) {
    if (Date.now() >= waitUntil) throw new ApiError('conflict', `job ${name} is running already; try again when it has finished`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const started = new Date();
  const now = options.now ?? started;
  let run: JobRun | undefined;
  try {
    const outcome = await job({
      store,
      now,
      deadline: Date.now() + options.budgetMs,
      maxItems: options.maxItems ?? JOB_MAX_ITEMS,
      actor: `platform:${name}`,
      runId: leaseId,
      ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    });
    run = { name, startedAt: started.toISOString(), endedAt: new Date().toISOString(), summary: { ...outcome.summary, complete: !outcome.more } };
    logger.info('job ran', { job: name, durationMs: Date.now() - started.getTime(), complete: !outcome.more });
    return run;
  } finally {
    await releaseLease(store, name, leaseId, run ?? { name, startedAt: started.toISOString(), endedAt: new Date().toISOString(), summary: { complete: false, failed: true } });
  }
}

/** Runs `work` over `items` with at most `limit` at once, in order of start. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Whether the invocation should stop taking new work. */
export const outOfBudget = (context: Pick<JobContext, 'deadline'>, items: number, maxItems: number) => Date.now() >= context.deadline || items >= maxItems;
