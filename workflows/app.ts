/**
 * App lifecycles: deploy (first deploy, redeploy and upgrade alike) and delete. Each
 * Task invokes the app step Lambda (shared/apps/steps.ts).
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { WorkflowFamilyDefinition, WorkflowKit } from './kit.ts';
import { workflowFamilies, workflowName } from './names.ts';

type Workflow = (typeof workflowFamilies)['app']['workflows'][number];

const builders: Record<Workflow, (kit: WorkflowKit) => sfn.IChainable> = {
  // Prepare → (ApplyTier → poll until the tier is Ready) for each tier in order → Prune → Finish.
  deploy: (kit) => {
    const fail = kit.failure('Deploy');
    const finish = kit.guarded(kit.step('Deploy Finish', 'finish', null), fail).next(kit.done('Deploy'));
    const prune = kit.guarded(kit.step('Deploy Prune', 'prune', '$.pruned'), fail).next(finish);
    const applyTier = kit.guarded(kit.step('Deploy ApplyTier', 'applyTier', '$.tier'), fail);
    const moreTiers = new sfn.Choice(kit.scope, 'Deploy MoreTiers?')
      .when(sfn.Condition.numberLessThanJsonPath('$.tier.next', '$.plan.count'), applyTier)
      .otherwise(prune);
    applyTier.next(kit.pollUntil('Tier', 'Ready', fail, moreTiers, 'checkTier'));
    return kit.guarded(kit.step('Deploy Prepare', 'prepare', '$.plan'), fail).next(applyTier);
  },
  delete: (kit) => {
    const fail = kit.failure('Delete');
    const finish = kit.guarded(kit.step('Delete Finish', 'finish', null), fail).next(kit.done('Delete'));
    return kit.guarded(kit.step('Delete Remove', 'remove', null), fail).next(kit.pollUntil('Delete', 'Deleted', fail, finish, 'describeRemoval'));
  },
};

const family = workflowFamilies.app;

export const appFamily: WorkflowFamilyDefinition = {
  family: 'app',
  stepLambda: family.stepLambda,
  failError: 'AppWorkflowFailed',
  workflows: family.workflows.map((workflow) => ({ name: workflowName('app', workflow), family: 'app', build: builders[workflow] })),
};
