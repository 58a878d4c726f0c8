/**
 * Host-cluster lifecycles as Step Functions state machines, written once with CDK and
 * rendered the same way for AWS (infra/aws) and the local runner (infra/local).
 *
 * JSONPath only (no JSONata, no Assign variables): aws-local-stepfunctions runs
 * JSONata definitions as JSONPath and fails on variables, so this keeps local and AWS
 * behaviour identical. Every Task invokes the host-cluster step Lambda with
 * `{ step, args }`; polling is Wait → Describe → Choice, bounded by the input's `maxPolls`.
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { TRANSIENT_ERRORS, type HostClusterStep } from './names.ts';

export { MAX_POLLS, POLL_SECONDS, TRANSIENT_ERRORS, stateMachineArnVariable, type HostClusterStep } from './names.ts';

export interface WorkflowFunctions {
  hostClusterSteps: lambda.IFunction;
}

class Builder {
  private count = 0;
  constructor(
    private readonly scope: Construct,
    private readonly fns: WorkflowFunctions,
  ) {}

  /** A Task calling one step with the whole state as `args`; its result lands at `resultPath`. */
  step(id: string, step: HostClusterStep, resultPath: string | null, extra: Record<string, unknown> = {}) {
    const task = new tasks.LambdaInvoke(this.scope, id, {
      lambdaFunction: this.fns.hostClusterSteps,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({ step, 'args.$': '$', ...extra }),
      resultPath: resultPath === null ? sfn.JsonPath.DISCARD : resultPath,
      retryOnServiceExceptions: false,
    });
    task.addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 6 });
    return task;
  }

  /** Any uncaught failure: record `Error` on the cluster and `Failed` on the operation. */
  failure(prefix: string) {
    const markError = this.step(`${prefix} MarkError`, 'markError', null);
    return markError.next(new sfn.Fail(this.scope, `${prefix} Failed`, { error: 'HostClusterWorkflowFailed', causePath: '$.error.Cause' }));
  }

  /**
   * Wait → Describe → Choice until the provider reports `target`; a provider `Failed`
   * or too many polls become an error on the failure path.
   */
  pollUntil(prefix: string, target: 'Running' | 'Deleted', onFailure: sfn.IChainable, next: sfn.IChainable) {
    this.count++;
    const wait = new sfn.Wait(this.scope, `${prefix} Wait`, { time: sfn.WaitTime.secondsPath('$.pollSeconds') });
    const describe = this.step(`${prefix} Describe`, 'describe', '$.poll', { target });
    describe.addCatch(onFailure, { errors: ['States.ALL'], resultPath: '$.error' });
    const providerFailed = new sfn.Pass(this.scope, `${prefix} ProviderFailed`, {
      parameters: { Error: 'ProviderFailed', 'Cause.$': '$.poll.message' },
      resultPath: '$.error',
    }).next(onFailure);
    const timedOut = new sfn.Pass(this.scope, `${prefix} TimedOut`, {
      parameters: { Error: 'Timeout', Cause: `the provider did not reach ${target} in time` },
      resultPath: '$.error',
    }).next(onFailure);
    const choice = new sfn.Choice(this.scope, `${prefix} Reached${target}?`)
      .when(sfn.Condition.stringEquals('$.poll.phase', target), next)
      .when(sfn.Condition.stringEquals('$.poll.phase', 'Failed'), providerFailed)
      .when(sfn.Condition.numberGreaterThanEqualsJsonPath('$.poll.attempts', '$.maxPolls'), timedOut)
      .otherwise(wait);
    return wait.next(describe).next(choice);
  }

  guarded<T extends sfn.TaskStateBase>(task: T, onFailure: sfn.IChainable): T {
    task.addCatch(onFailure, { errors: ['States.ALL'], resultPath: '$.error' });
    return task;
  }
}

export interface WorkflowDefinition {
  /** Stable name: the state machine's name suffix and its environment variable. */
  name: string;
  build(scope: Construct, fns: WorkflowFunctions): sfn.IChainable;
}

const done = (scope: Construct, prefix: string) => new sfn.Succeed(scope, `${prefix} Done`);

export const hostClusterWorkflows: WorkflowDefinition[] = [
  {
    name: 'host-cluster-create',
    build: (scope, fns) => {
      const b = new Builder(scope, fns);
      const fail = b.failure('Create');
      const finish = b.guarded(b.step('Create Finish', 'finish', null), fail).next(done(scope, 'Create'));
      const addons = b.guarded(b.step('Create ApplyAddons', 'applyAddons', null), fail).next(finish);
      return b.guarded(b.step('Create Provision', 'provision', null), fail).next(b.pollUntil('Create', 'Running', fail, addons));
    },
  },
  {
    name: 'host-cluster-scale',
    build: (scope, fns) => {
      const b = new Builder(scope, fns);
      const fail = b.failure('Scale');
      const finish = b.guarded(b.step('Scale Finish', 'finish', null), fail).next(done(scope, 'Scale'));
      return b.guarded(b.step('Scale NodePool', 'scale', null), fail).next(b.pollUntil('Scale', 'Running', fail, finish));
    },
  },
  {
    name: 'host-cluster-upgrade',
    build: (scope, fns) => {
      const b = new Builder(scope, fns);
      const fail = b.failure('Upgrade');
      const finish = b.guarded(b.step('Upgrade Finish', 'finish', null), fail).next(done(scope, 'Upgrade'));
      const addons = b.guarded(b.step('Upgrade ApplyAddons', 'applyAddons', null), fail).next(finish);
      return b.guarded(b.step('Upgrade Kubernetes', 'upgrade', null), fail).next(b.pollUntil('Upgrade', 'Running', fail, addons));
    },
  },
  {
    name: 'host-cluster-delete',
    build: (scope, fns) => {
      const b = new Builder(scope, fns);
      const fail = b.failure('Delete');
      const finish = b.guarded(b.step('Delete Finish', 'finish', null), fail).next(done(scope, 'Delete'));
      return b.guarded(b.step('Delete Cluster', 'delete', null), fail).next(b.pollUntil('Delete', 'Deleted', fail, finish));
    },
  },
  {
    name: 'host-cluster-import',
    build: (scope, fns) => {
      const b = new Builder(scope, fns);
      const fail = b.failure('Import');
      const finish = b.guarded(b.step('Import Finish', 'finish', null), fail).next(done(scope, 'Import'));
      return b.guarded(b.step('Import Validate', 'validateImport', null), fail).next(finish);
    },
  },
];

export const workflowDefinitions: WorkflowDefinition[] = [...hostClusterWorkflows];
