/**
 * Backups: a snapshot of a virtual cluster's objects into the backup store. Each Task
 * invokes the backup step Lambda (shared/backups/steps.ts). The snapshot is one step
 * (list, clean, gzip, put); finish records it Completed with its counts.
 */
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { WorkflowFamilyDefinition, WorkflowKit } from './kit.ts';
import { workflowFamilies, workflowName } from './names.ts';

type Workflow = (typeof workflowFamilies)['backup']['workflows'][number];

const builders: Record<Workflow, (kit: WorkflowKit) => sfn.IChainable> = {
  create: (kit) => {
    const fail = kit.failure('Backup');
    const finish = kit.guarded(kit.step('Backup Finish', 'finish', null), fail).next(kit.done('Backup'));
    return kit.guarded(kit.step('Backup Snapshot', 'snapshot', '$.snapshot'), fail).next(finish);
  },
};

const family = workflowFamilies.backup;

export const backupFamily: WorkflowFamilyDefinition = {
  family: 'backup',
  stepLambda: family.stepLambda,
  failError: 'BackupWorkflowFailed',
  workflows: family.workflows.map((workflow) => ({ name: workflowName('backup', workflow), family: 'backup', build: builders[workflow] })),
};
