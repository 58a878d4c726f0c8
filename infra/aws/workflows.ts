/**
 * The host-cluster workflows on AWS: the step Lambda and one Standard state machine per
 * entry of `workflowDefinitions` (workflows/host-cluster.ts), the same definitions the
 * local runner renders with `renderDefinition` (workflows/render.ts).
 */
import * as cdk from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { workflowDefinitions } from '../../workflows/host-cluster.ts';
import { createPaletteFunction } from './function-defaults.ts';

/** The tag that names the workflow a state machine runs (its name is left to CloudFormation). */
export const WORKFLOW_TAG = 'palette:workflow';

/** The step Lambda's timeout: one provider call (EKS, STS, a kube apply) per invocation. */
export const STEP_FUNCTION_TIMEOUT = Duration.seconds(60);

/** `host-cluster-create` → `HostClusterCreate`. */
const pascal = (name: string) =>
  name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

export interface HostClusterWorkflowsProps {
  table: ITableV2;
}

export class HostClusterWorkflows extends Construct {
  /** The step Lambda every Task of every host-cluster workflow invokes. */
  readonly stepFunction: NodejsFunction;
  /** The state machines by workflow name (`WorkflowDefinition.name`). */
  readonly stateMachines: ReadonlyMap<string, sfn.StateMachine>;

  constructor(scope: Construct, id: string, props: HostClusterWorkflowsProps) {
    super(scope, id);

    this.stepFunction = createPaletteFunction(this, 'HostClusterStepsFunction', {
      entry: 'functions/steps/host-cluster.ts',
      table: props.table,
      timeout: STEP_FUNCTION_TIMEOUT,
      serviceName: 'palette-host-cluster-steps',
    });
    props.table.grantReadWriteData(this.stepFunction);
    // The AWS provider assumes the role each cloud account names (AccountSettings.aws.roleArn),
    // in the customer's account. Those ARNs are data entered through the API, unknown at
    // deploy time, so the grant cannot list them: any role in any account. What actually
    // gates access is the customer role's trust policy (Palette's account as principal plus
    // the account's external id). EKS is then called with the assumed role's credentials,
    // so this role itself needs no eks:* (and no iam:PassRole) permission.
    this.stepFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'AssumeCustomerAccountRoles',
        actions: ['sts:AssumeRole'],
        resources: [cdk.Stack.of(this).formatArn({ service: 'iam', region: '', account: '*', resource: 'role', resourceName: '*' })],
      }),
    );

    const stateMachines = new Map<string, sfn.StateMachine>();
    for (const workflow of workflowDefinitions) {
      // One scope per workflow keeps each definition's state ids (its constructs) apart.
      const workflowScope = new Construct(this, pascal(workflow.name));
      const logGroup = new logs.LogGroup(workflowScope, 'Logs', {
        // The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy from growing
        // with every state machine.
        logGroupName: `/aws/vendedlogs/states/${cdk.Stack.of(this).stackName}-${workflow.name}`,
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: cdk.RemovalPolicy.DESTROY,
      });
      const stateMachine = new sfn.StateMachine(workflowScope, 'StateMachine', {
        stateMachineType: sfn.StateMachineType.STANDARD,
        definitionBody: sfn.DefinitionBody.fromChainable(workflow.build(workflowScope, { hostClusterSteps: this.stepFunction })),
        // Every event, without input and output: a state's data can carry provider
        // messages; the execution history keeps it for Standard workflows anyway.
        logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      });
      cdk.Tags.of(stateMachine).add(WORKFLOW_TAG, workflow.name, { includeResourceTypes: ['AWS::StepFunctions::StateMachine'] });
      stateMachines.set(workflow.name, stateMachine);
    }
    this.stateMachines = stateMachines;
  }
}
