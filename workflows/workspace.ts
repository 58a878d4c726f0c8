/**
 * Workspace lifecycles: apply (create and every change alike) and delete. Each Task
 * invokes the workspace step Lambda (shared/workspaces/steps.ts). Apply does not poll:
 * namespaces, quotas and bindings take effect as they are written.
 */
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { WorkflowFamilyDefinition, WorkflowKit } from './kit.ts';
import { workflowFamilies, workflowName } from './names.ts';

type Workflow = (typeof workflowFamilies)['workspace']['workflows'][number];

const builders: Record<Workflow, (kit: WorkflowKit) => sfn.IChainable> = {
  // Apply (every member cluster; removed ones cleaned up) → Finish (Ready or Degraded).
  apply: (kit) => {
    const fail = kit.failure('Apply');
    const finish = kit.guarded(kit.step('Apply Finish', 'finish', null), fail).next(kit.done('Apply'));
    return kit.guarded(kit.step('Apply Clusters', 'apply', '$.applied'), fail).next(finish);
  },
  delete: (kit) => {
    const fail = kit.failure('Delete');
    const finish = kit.guarded(kit.step('Delete Finish', 'finish', null), fail).next(kit.done('Delete'));
    return kit.guarded(kit.step('Delete Remove', 'remove', null), fail).next(finish);
  },
};

const family = workflowFamilies.workspace;

export const workspaceFamily: WorkflowFamilyDefinition = {
  family: 'workspace',
  stepLambda: family.stepLambda,
  failError: 'WorkspaceWorkflowFailed',
  workflows: family.workflows.map((workflow) => ({ name: workflowName('workspace', workflow), family: 'workspace', build: builders[workflow] })),
};
