/**
 * Every workflow family with its step Lambda. The CDK construct, the renderer and the
 * local Step Functions runtime iterate this list: adding a family is one entry here.
 */
import type { WorkflowDefinition, WorkflowFamilyDefinition } from './kit.ts';
import { hostClusterFamily } from './host-cluster.ts';
import { virtualClusterFamily } from './virtual-cluster.ts';
import { appFamily } from './app.ts';
import { workspaceFamily } from './workspace.ts';
import { backupFamily } from './backup.ts';

export const workflowRegistry: WorkflowFamilyDefinition[] = [hostClusterFamily, virtualClusterFamily, appFamily, workspaceFamily, backupFamily];

/** Every workflow of every family. */
export const workflowDefinitions: WorkflowDefinition[] = workflowRegistry.flatMap((family) => family.workflows);

export const familyOf = (workflow: WorkflowDefinition) => workflowRegistry.find((family) => family.family === workflow.family)!;
