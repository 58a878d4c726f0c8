/**
 * The workflow kit: the pieces every lifecycle state machine is built from, written
 * once with CDK and parametrized by the step Lambda a family's Tasks invoke.
 *
 * JSONPath only (no JSONata, no Assign variables): aws-local-stepfunctions runs
 * JSONata definitions as JSONPath and fails on variables, so this keeps local and AWS
 * behaviour identical. Every Task invokes the family's step Lambda with
 * `{ step, args: <the whole state>, ...extra }`; polling is Wait → Describe → Choice,
 * bounded by the input's `maxPolls`.
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { TRANSIENT_ERRORS, type StepLambda, type WorkflowFamily } from './names.ts';

/** A step Lambda runs one provider or Kubernetes call; its Task gives up a little after the function would. */
export const STEP_LAMBDA_TIMEOUT_SECONDS = 60;
const TASK_TIMEOUT_SECONDS = STEP_LAMBDA_TIMEOUT_SECONDS + 30;

export class WorkflowKit {
  constructor(
    readonly scope: Construct,
    private readonly stepFunction: lambda.IFunction,
    /** The error name of the family's Fail states, e.g. `HostClusterWorkflowFailed`. */
    private readonly failError: string,
  ) {}

  /** A Task calling one step with the whole state as `args`; its result lands at `resultPath` (null: discarded). */
  step(id: string, step: string, resultPath: string | null, extra: Record<string, unknown> = {}) {
    const task = new tasks.LambdaInvoke(this.scope, id, {
      lambdaFunction: this.stepFunction,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({ step, 'args.$': '$', ...extra }),
      resultPath: resultPath === null ? sfn.JsonPath.DISCARD : resultPath,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(TASK_TIMEOUT_SECONDS)),
    });
    task.addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 6 });
    return task;
  }

  /**
   * The failure path: record `Error` on the resource and `Failed` on the operation,
   * then fail the execution. Recording uses only the execution's state; if even that
   * fails, the execution still ends (repair finds the operation later).
   */
  failure(prefix: string) {
    const failed = new sfn.Fail(this.scope, `${prefix} Failed`, { error: this.failError, causePath: '$.error.Cause' });
    const markError = this.step(`${prefix} MarkError`, 'markError', null);
    markError.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.markErrorFailure' });
    return markError.next(failed);
  }

  /**
   * Wait → Describe → Choice until the step reports `phase: target`; a reported
   * `Failed` or too many polls become an error on the failure path.
   */
  pollUntil(prefix: string, target: string, onFailure: sfn.IChainable, next: sfn.IChainable, describeStep = 'describe') {
    const wait = new sfn.Wait(this.scope, `${prefix} Wait`, { time: sfn.WaitTime.secondsPath('$.pollSeconds') });
    const describe = this.step(`${prefix} Describe`, describeStep, '$.poll', { target });
    describe.addCatch(onFailure, { errors: ['States.ALL'], resultPath: '$.error' });
    const reportedFailure = new sfn.Pass(this.scope, `${prefix} ProviderFailed`, {
      parameters: { Error: 'ProviderFailed', 'Cause.$': '$.poll.message' },
      resultPath: '$.error',
    }).next(onFailure);
    const timedOut = new sfn.Pass(this.scope, `${prefix} TimedOut`, {
      parameters: { Error: 'Timeout', Cause: `did not reach ${target} in time` },
      resultPath: '$.error',
    }).next(onFailure);
    const choice = new sfn.Choice(this.scope, `${prefix} Reached${target}?`)
      .when(sfn.Condition.stringEquals('$.poll.phase', target), next)
      .when(sfn.Condition.stringEquals('$.poll.phase', 'Failed'), reportedFailure)
      .when(sfn.Condition.numberGreaterThanEqualsJsonPath('$.poll.attempts', '$.maxPolls'), timedOut)
      .otherwise(wait);
    return wait.next(describe).next(choice);
  }

  /** A Task whose every uncaught error goes to `onFailure` with the error at `$.error`. */
  guarded<T extends sfn.TaskStateBase>(task: T, onFailure: sfn.IChainable): T {
    task.addCatch(onFailure, { errors: ['States.ALL'], resultPath: '$.error' });
    return task;
  }

  done(prefix: string) {
    return new sfn.Succeed(this.scope, `${prefix} Done`);
  }
}

export interface WorkflowDefinition {
  /** Stable name (`<family>-<workflow>`): the state machine's name suffix and its environment variable. */
  name: string;
  family: WorkflowFamily;
  build(kit: WorkflowKit): sfn.IChainable;
}

export interface WorkflowFamilyDefinition {
  family: WorkflowFamily;
  stepLambda: StepLambda;
  /** The error name of the family's Fail states. */
  failError: string;
  workflows: WorkflowDefinition[];
}
