/**
 * Virtual-cluster lifecycles: create, pause, resume, resize, delete, and a create from a backup (restore). Each Task invokes
 * the virtual-cluster step Lambda (shared/virtual-clusters/steps.ts).
 */
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { WorkflowFamilyDefinition, WorkflowKit } from './kit.ts';
import { workflowFamilies, workflowName } from './names.ts';

type Workflow = (typeof workflowFamilies)['virtual-cluster']['workflows'][number];

/** Act, poll until the host shows the target, then record it. */
function actThenPoll(kit: WorkflowKit, prefix: string, step: string, target: string, resultPath: string | null = null) {
  const fail = kit.failure(prefix);
  const finish = kit.guarded(kit.step(`${prefix} Finish`, 'finish', null), fail).next(kit.done(prefix));
  return kit.guarded(kit.step(`${prefix} ${step[0]!.toUpperCase()}${step.slice(1)}`, step, resultPath), fail).next(kit.pollUntil(prefix, target, fail, finish));
}

const builders: Record<Workflow, (kit: WorkflowKit) => sfn.IChainable> = {
  create: (kit) => actThenPoll(kit, 'Create', 'provision', 'Running'),
  pause: (kit) => actThenPoll(kit, 'Pause', 'pause', 'Paused'),
  resume: (kit) => actThenPoll(kit, 'Resume', 'resume', 'Running'),
  // Quota and limits are applied at once and the volume grows in place: nothing to wait for.
  resize: (kit) => {
    const fail = kit.failure('Resize');
    const finish = kit.guarded(kit.step('Resize Finish', 'finish', null), fail).next(kit.done('Resize'));
    return kit.guarded(kit.step('Resize Apply', 'resize', null), fail).next(finish);
  },
  delete: (kit) => actThenPoll(kit, 'Delete', 'delete', 'Deleted', '$.removal'),
  // A create from a backup: once the control plane runs, the backup's objects are applied, then it is Running.
  restore: (kit) => {
    const fail = kit.failure('Restore');
    const finish = kit.guarded(kit.step('Restore Finish', 'finish', null), fail).next(kit.done('Restore'));
    const restore = kit.guarded(kit.step('Restore Objects', 'restore', '$.restored'), fail).next(finish);
    return kit.guarded(kit.step('Restore Provision', 'provision', null), fail).next(kit.pollUntil('Restore', 'Running', fail, restore));
  },
};

const family = workflowFamilies['virtual-cluster'];

export const virtualClusterFamily: WorkflowFamilyDefinition = {
  family: 'virtual-cluster',
  stepLambda: family.stepLambda,
  failError: 'VirtualClusterWorkflowFailed',
  workflows: family.workflows.map((workflow) => ({ name: workflowName('virtual-cluster', workflow), family: 'virtual-cluster', build: builders[workflow] })),
};
