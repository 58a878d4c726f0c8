/**
 * Host-cluster lifecycles: create, import, scale, upgrade, delete. Each Task invokes
 * the host-cluster step Lambda (shared/host-clusters/steps.ts).
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { WorkflowFamilyDefinition, WorkflowKit } from './kit.ts';
import { workflowFamilies, workflowName } from './names.ts';

type Workflow = (typeof workflowFamilies)['host-cluster']['workflows'][number];

/** Helm layers are ready when Flux says their releases are: polled only when the profile has any. */
const helmReady = (kit: WorkflowKit, prefix: string, fail: sfn.IChainable, finish: sfn.IChainable) =>
  new sfn.Choice(kit.scope, `${prefix} HelmLayers?`)
    .when(sfn.Condition.and(sfn.Condition.isPresent('$.applied.helm'), sfn.Condition.numberGreaterThan('$.applied.helm', 0)), kit.pollUntil(`${prefix} Addons`, 'Ready', fail, finish, 'checkAddons'))
    .otherwise(finish);

const builders: Record<Workflow, (kit: WorkflowKit) => sfn.IChainable> = {
  create: (kit) => {
    const fail = kit.failure('Create');
    const finish = kit.guarded(kit.step('Create Finish', 'finish', null), fail).next(kit.done('Create'));
    const addons = kit.guarded(kit.step('Create ApplyAddons', 'applyAddons', '$.applied'), fail).next(helmReady(kit, 'Create', fail, finish));
    return kit.guarded(kit.step('Create Provision', 'provision', null), fail).next(kit.pollUntil('Create', 'Running', fail, addons));
  },
  import: (kit) => {
    const fail = kit.failure('Import');
    const finish = kit.guarded(kit.step('Import Finish', 'finish', null), fail).next(kit.done('Import'));
    return kit.guarded(kit.step('Import Validate', 'validateImport', '$.poll'), fail).next(finish);
  },
  scale: (kit) => {
    const fail = kit.failure('Scale');
    const finish = kit.guarded(kit.step('Scale Finish', 'finish', null), fail).next(kit.done('Scale'));
    return kit.guarded(kit.step('Scale NodePool', 'scale', null), fail).next(kit.pollUntil('Scale', 'Running', fail, finish));
  },
  upgrade: (kit) => {
    const fail = kit.failure('Upgrade');
    const finish = kit.guarded(kit.step('Upgrade Finish', 'finish', null), fail).next(kit.done('Upgrade'));
    const addons = kit.guarded(kit.step('Upgrade ApplyAddons', 'applyAddons', '$.applied'), fail).next(helmReady(kit, 'Upgrade', fail, finish));
    return kit.guarded(kit.step('Upgrade Kubernetes', 'upgrade', null), fail).next(kit.pollUntil('Upgrade', 'Running', fail, addons));
  },
  delete: (kit) => {
    const fail = kit.failure('Delete');
    const finish = kit.guarded(kit.step('Delete Finish', 'finish', null), fail).next(kit.done('Delete'));
    return kit.guarded(kit.step('Delete Cluster', 'delete', null), fail).next(kit.pollUntil('Delete', 'Deleted', fail, finish));
  },
};

const family = workflowFamilies['host-cluster'];

export const hostClusterFamily: WorkflowFamilyDefinition = {
  family: 'host-cluster',
  stepLambda: family.stepLambda,
  failError: 'HostClusterWorkflowFailed',
  workflows: family.workflows.map((workflow) => ({ name: workflowName('host-cluster', workflow), family: 'host-cluster', build: builders[workflow] })),
};
