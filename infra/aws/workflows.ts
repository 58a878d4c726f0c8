/**
 * The workflows on AWS: for each family of the registry (workflows/registry.ts) its
 * step Lambda, and one Standard state machine per workflow, built from the same
 * definitions the local runner renders (workflows/render.ts).
 */
import * as cdk from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ROLE_SESSION_PREFIX } from '#shared/providers/eks/session.ts';
import { WorkflowKit, STEP_LAMBDA_TIMEOUT_SECONDS } from '#workflows/kit.ts';
import { workflowRegistry } from '#workflows/registry.ts';
import type { WorkflowFamily } from '#workflows/names.ts';
import { createPaletteFunction, grantTableAccess, pascal } from './function-defaults.ts';
import { grantSecrets, type SecretsAccess } from './secrets-key.ts';
import { ANY_RESOURCE_FINDING, acknowledgeFinding, wildcardBelowArnFinding } from './nag.ts';
import type { BackupAccess, BackupStorage } from './backup-storage.ts';

/** The tag that names the workflow a state machine runs (its name is left to CloudFormation). */
export const WORKFLOW_TAG = 'palette:workflow';

/**
 * The step Lambda's timeout: one provider call (EKS, STS, a kube apply) per invocation.
 * A Lambda Task cannot send heartbeats, so a hung call is bounded by this and by the
 * Task's TimeoutSeconds (workflows/kit.ts), not by a HeartbeatSeconds.
 */
export const STEP_FUNCTION_TIMEOUT = Duration.seconds(STEP_LAMBDA_TIMEOUT_SECONDS);

/** The provider names every STS session `palette-<clusterId>`. */
export const CUSTOMER_ROLE_SESSION_PREFIX = ROLE_SESSION_PREFIX;

/** What a family's step Lambda may do beyond the table. */
/**
 * What reaching customers' EKS clusters takes: any function that gets a cluster's
 * access from its provider (host-cluster and workspace steps, the scheduled function's
 * workspace reconciliation) gets this grant.
 */
export function grantCustomerRoleAssume(fn: NodejsFunction): void {
  // The AWS provider assumes the role each cloud account names, in the customer's
  // account. Those ARNs are data entered through the API, unknown at deploy time, so
  // the resource cannot list them: any role in any account. What actually gates access
  // is the customer role's trust policy (Palette's account as principal plus the
  // account's external id). The conditions narrow what this grant allows on its own:
  // every call must pass an external id, so no code path (a cloud account stored
  // without one, a new provider) can assume a role without the confused-deputy check
  // its trust policy makes; and the session must be named as the provider names it,
  // `palette-<clusterId>`, so each session is attributable to a cluster in the
  // customer's CloudTrail and a customer's trust policy may require that prefix.
  // EKS is then called with the assumed role's credentials, so this role itself needs
  // no eks:* (and no iam:PassRole) permission.
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'AssumeCustomerAccountRoles',
      actions: ['sts:AssumeRole'],
      resources: [cdk.Stack.of(fn).formatArn({ service: 'iam', region: '', account: '*', resource: 'role', resourceName: '*' })],
      conditions: {
        Null: { 'sts:ExternalId': 'false' },
        StringLike: { 'sts:RoleSessionName': `${CUSTOMER_ROLE_SESSION_PREFIX}*` },
      },
    }),
  );
  acknowledgeFinding(
    fn.role!,
    'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/*]',
    "The customer roles' ARNs are data registered through the API, unknown at deploy time; the statement requires an external id and a palette-* session name, and each customer role's trust policy admits only Palette's account with that account's external id.",
  );
}

const extraGrants: Partial<Record<WorkflowFamily, (fn: NodejsFunction) => void>> = {
  'host-cluster': grantCustomerRoleAssume,
  // Workspaces reach the same clusters, through the same providers.
  workspace: grantCustomerRoleAssume,
};

/** The sealed secrets each family's steps seal or open. */
const familySecrets: Partial<Record<WorkflowFamily, SecretsAccess>> = {
  // The create seals the credential vcluster wrote; app deploys open it to reach the virtual cluster.
  'virtual-cluster': { seal: ['virtualcluster:*'], open: ['cluster:*'] },
  // Edge and vSphere clusters are reached with the kubeconfig their agent reported, sealed for the cluster;
  // helm layers hand their registry's credential to the cluster's Flux.
  'host-cluster': { open: ['cluster:*', 'registry:*'] },
  // Helm tiers hand their registry's credential to the virtual cluster's Flux.
  app: { open: ['virtualcluster:*', 'registry:*'] },
  // Workspaces reach their clusters as host-cluster steps do.
  workspace: { open: ['cluster:*'] },
  // A backup reaches its virtual cluster with the cluster's own credential, as app deploys do.
  backup: { open: ['virtualcluster:*'] },
};

/** What each family's steps do with backup snapshots: the backup writes one, a restore (a virtual-cluster create) reads one. */
const familyBackups: Partial<Record<WorkflowFamily, readonly BackupAccess[]>> = {
  backup: ['put'],
  'virtual-cluster': ['get'],
};

export interface WorkflowsProps {
  table: ITableV2;
  secretsKey: kms.IKey;
  backups: BackupStorage;
}

export class Workflows extends Construct {
  /** Each family's step Lambda, by family. */
  readonly stepFunctions: ReadonlyMap<WorkflowFamily, NodejsFunction>;
  /** The state machines by workflow name (`WorkflowDefinition.name`). */
  readonly stateMachines: ReadonlyMap<string, sfn.StateMachine>;
  private readonly workflowNamesByFamily = new Map<WorkflowFamily, string[]>();

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
      grantTableAccess(fn, props.table, 'read-write');
      extraGrants[family.family]?.(fn);
      grantSecrets(fn, props.secretsKey, familySecrets[family.family]);
      props.backups.grant(fn, familyBackups[family.family] ?? []);
      stepFunctions.set(family.family, fn);
      this.workflowNamesByFamily.set(family.family, family.workflows.map((workflow) => workflow.name));

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
          tracingEnabled: true,
        });
        acknowledgeFinding(
          stateMachine,
          ANY_RESOURCE_FINDING,
          'Log delivery to CloudWatch Logs (logs:CreateLogDelivery, PutResourcePolicy, DescribeLogGroups, ...) and X-Ray (xray:PutTraceSegments, GetSamplingRules, ...) support no resource-level permissions; the infra tests check that no other action is granted on every resource.',
        );
        acknowledgeFinding(
          stateMachine,
          wildcardBelowArnFinding(fn, ':*'),
          "LambdaInvoke grants the step Lambda's versions and aliases (<function ARN>:*) along with the function; it is still this one function, which the Tasks invoke unqualified.",
        );
        cdk.Tags.of(stateMachine).add(WORKFLOW_TAG, workflow.name, { includeResourceTypes: ['AWS::StepFunctions::StateMachine'] });
        stateMachines.set(workflow.name, stateMachine);
      }
    }
    this.stepFunctions = stepFunctions;
    this.stateMachines = stateMachines;
  }

  /** The state machines of one family's workflows. */
  stateMachinesOf(family: WorkflowFamily): Array<[name: string, stateMachine: sfn.StateMachine]> {
    return (this.workflowNamesByFamily.get(family) ?? []).map((name) => [name, this.stateMachines.get(name)!]);
  }
}
