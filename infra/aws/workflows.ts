/**
 * The workflows on AWS: for each family of the registry (workflows/registry.ts) its
 * step Lambda, and one Standard state machine per workflow, built from the same
 * definitions the local runner renders (workflows/render.ts).
 */
import * as cdk from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { WorkflowKit, STEP_LAMBDA_TIMEOUT_SECONDS } from '#workflows/kit.ts';
import { workflowRegistry } from '#workflows/registry.ts';
import type { WorkflowFamily } from '#workflows/names.ts';
import { createPaletteFunction, pascal } from './function-defaults.ts';

/** The tag that names the workflow a state machine runs (its name is left to CloudFormation). */
export const WORKFLOW_TAG = 'palette:workflow';

/** The step Lambda's timeout: one provider call (EKS, STS, a kube apply) per invocation. */
export const STEP_FUNCTION_TIMEOUT = Duration.seconds(STEP_LAMBDA_TIMEOUT_SECONDS);

/** What a family's step Lambda may do beyond the table. */
const extraGrants: Partial<Record<WorkflowFamily, (fn: NodejsFunction) => void>> = {
  'host-cluster': (fn) => {
    // The AWS provider assumes the role each cloud account names, in the customer's
    // account. Those ARNs are data entered through the API, unknown at deploy time, so
    // the grant cannot list them: any role in any account. What actually gates access
    // is the customer role's trust policy (Palette's account as principal plus the
    // account's external id). EKS is then called with the assumed role's credentials,
    // so this role itself needs no eks:* (and no iam:PassRole) permission.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'AssumeCustomerAccountRoles',
        actions: ['sts:AssumeRole'],
        resources: [cdk.Stack.of(fn).formatArn({ service: 'iam', region: '', account: '*', resource: 'role', resourceName: '*' })],
      }),
    );
  },
};

export interface WorkflowsProps {
  table: ITableV2;
}

export class Workflows extends Construct {
  /** Each family's step Lambda, by family. */
  readonly stepFunctions: ReadonlyMap<WorkflowFamily, NodejsFunction>;
  /** The state machines by workflow name (`WorkflowDefinition.name`). */
  readonly stateMachines: ReadonlyMap<string, sfn.StateMachine>;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);
    const stepFunctions = new Map<WorkflowFamily, NodejsFunction>();
    const stateMachines = new Map<string, sfn.StateMachine>();
    for (const family of workflowRegistry) {
      const fn = createPaletteFunction(this, `${pascal(family.family)}StepsFunction`, {
        entry: family.stepLambda.entry,
        table: props.table,
        timeout: STEP_FUNCTION_TIMEOUT,
        serviceName: family.stepLambda.functionName,
      });
      props.table.grantReadWriteData(fn);
      extraGrants[family.family]?.(fn);
      stepFunctions.set(family.family, fn);

      for (const workflow of family.workflows) {
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
          definitionBody: sfn.DefinitionBody.fromChainable(workflow.build(new WorkflowKit(workflowScope, fn, family.failError))),
          // Every event, without input and output: a state's data can carry provider
          // messages; the execution history keeps it for Standard workflows anyway.
          logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
        });
        cdk.Tags.of(stateMachine).add(WORKFLOW_TAG, workflow.name, { includeResourceTypes: ['AWS::StepFunctions::StateMachine'] });
        stateMachines.set(workflow.name, stateMachine);
      }
    }
    this.stepFunctions = stepFunctions;
    this.stateMachines = stateMachines;
  }
}
