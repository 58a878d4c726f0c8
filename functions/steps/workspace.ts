import { runWorkspaceStep, workspaceStepEvent } from '#shared/workspaces/steps.ts';
import { createStepHandler } from '#shared/operations/step-handler.ts';

/** The workspace workflows' step Lambda. */
export const handler = createStepHandler('workspace', workspaceStepEvent, runWorkspaceStep);
