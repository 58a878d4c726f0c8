/**
 * The scheduled Lambda and its schedule: one EventBridge rule per job, at the cadence
 * shared/jobs/schedule.ts gives (one table for AWS, the local timer and the README),
 * each sending `{ job }`. The function may do exactly what its jobs do: read and write
 * the table; start workflow executions (a restarted operation, an idle cluster's
 * pause); describe and stop the executions of those same state machines (repair);
 * reach workspaces' clusters as their steps do (reconcile-workspaces); delete expired
 * backup snapshots (run-backups).
 */
import { Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { jobNames, jobSchedule, SCHEDULED_FUNCTION, SCHEDULED_FUNCTION_TIMEOUT_SECONDS, type JobName } from '#shared/jobs/schedule.ts';
import { stateMachineArnVariable } from '#workflows/names.ts';
import { createPaletteFunction, grantTableAccess, pascal } from './function-defaults.ts';
import { acknowledgeFinding } from './nag.ts';
import { grantCustomerRoleAssume, type Workflows } from './workflows.ts';
import { grantSecrets } from './secrets-key.ts';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { BackupStorage } from './backup-storage.ts';

export interface ScheduledJobsProps {
  table: ITableV2;
  workflows: Workflows;
  secretsKey: kms.IKey;
  backups: BackupStorage;
}

export class ScheduledJobs extends Construct {
  readonly function: NodejsFunction;
  readonly rules: ReadonlyMap<JobName, events.Rule>;

  constructor(scope: Construct, id: string, props: ScheduledJobsProps) {
    super(scope, id);
    const machines = [...props.workflows.stateMachines];
    this.function = createPaletteFunction(this, 'ScheduledFunction', {
      entry: SCHEDULED_FUNCTION.entry,
      table: props.table,
      timeout: Duration.seconds(SCHEDULED_FUNCTION_TIMEOUT_SECONDS),
      serviceName: SCHEDULED_FUNCTION.functionName,
      environment: Object.fromEntries(machines.map(([name, stateMachine]) => [stateMachineArnVariable(name), stateMachine.stateMachineArn])),
    });
    grantTableAccess(this.function, props.table, 'read-write');
    // reconcile-workspaces applies workspaces on their clusters, reached as the workspace steps reach them.
    grantCustomerRoleAssume(this.function);
    grantSecrets(this.function, props.secretsKey, { open: ['cluster:*'] });
    // run-backups deletes expired snapshots (it starts due backups through the backup workflow, which writes them).
    props.backups.grant(this.function, ['delete']);
    for (const [, stateMachine] of machines) {
      stateMachine.grantStartExecution(this.function);
      // Executions are named after their operation: the repair describes them, and stops one past its bound.
      stateMachine.grantExecution(this.function, 'states:DescribeExecution', 'states:StopExecution');
      const logicalId = Stack.of(stateMachine).getLogicalId(stateMachine.node.defaultChild as CfnElement);
      acknowledgeFinding(
        this.function.role!,
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId}"}]}]}:*]`,
        'An execution ARN is its state machine\'s plus the execution name, which is the operation id, known only at run time; the wildcard covers the executions of this one state machine, and only DescribeExecution and StopExecution.',
      );
    }
    const rules = new Map<JobName, events.Rule>();
    for (const job of jobNames) {
      const { everyMinutes, what } = jobSchedule[job];
      rules.set(
        job,
        new events.Rule(this, `${pascal(job)}Schedule`, {
          description: `${job}: ${what}`,
          schedule: events.Schedule.rate(Duration.minutes(everyMinutes)),
          // A tick that fails is not retried: the next one resumes from the job's stored continuation.
          targets: [new targets.LambdaFunction(this.function, { event: events.RuleTargetInput.fromObject({ job }), retryAttempts: 0 })],
        }),
      );
    }
    this.rules = rules;
  }
}
