/**
 * The scheduled jobs and their cadence, in one place: the CDK stack makes one
 * EventBridge rule per entry from it, the local runtime's timer runs them in this
 * order, and the README's table is this one.
 */
export const jobNames = ['enforce-quotas', 'repair-operations', 'rollup-usage', 'generate-reports', 'reconcile-workspaces', 'run-backups'] as const;
export type JobName = (typeof jobNames)[number];

export const isJobName = (name: string): name is JobName => (jobNames as readonly string[]).includes(name);

export interface JobCadence {
  /** How often EventBridge invokes the scheduled function for the job. */
  everyMinutes: number;
  what: string;
}

export const jobSchedule: Record<JobName, JobCadence> = {
  'enforce-quotas': { everyMinutes: 5, what: 'recount beehive quota use, repair drifted counters, list users over quota, pause idle virtual clusters, apply sleep schedules and delete clusters idle past deleteAfterIdleDays' },
  'repair-operations': { everyMinutes: 5, what: 'fail or restart operations whose workflow execution ended, vanished or overran its bound' },
  'rollup-usage': { everyMinutes: 15, what: 'hourly usage and cost records, from the last closed hour to now' },
  'generate-reports': { everyMinutes: 60, what: 'daily, weekly and monthly cost reports per tenant: the current periods so far (partial), each replaced by its final report once the period is rolled up' },
  'reconcile-workspaces': { everyMinutes: 5, what: 'apply every settled workspace again on its clusters: drifted objects put back, Ready or Degraded as its clusters are' },
  'run-backups': { everyMinutes: 15, what: 'start the scheduled backups of virtual clusters that are due, delete backups past their keepDays with their snapshots' },
};

/**
 * One invocation's bounds. A scheduled invocation works for at most BUDGET (then
 * stores its continuation); the Lambda runs further invocations while its own time
 * allows. On demand (through API Gateway's 30 s) one invocation gets the API budget.
 */
export const JOB_BUDGET_MS = 60_000;
export const API_JOB_BUDGET_MS = 18_000;
export const JOB_MAX_ITEMS = 50_000;
/** The scheduled function's timeout: room for several bounded invocations per tick. */
export const SCHEDULED_FUNCTION_TIMEOUT_SECONDS = 300;
/** Pages of a work list processed at once. */
export const PAGE_CONCURRENCY = 8;

/** The scheduled Lambda: its name (locally; on AWS CloudFormation names it) and its handler module. */
export const SCHEDULED_FUNCTION = { functionName: 'palette-scheduled', entry: 'functions/scheduled/jobs.ts' } as const;
