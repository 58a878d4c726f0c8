import { appStepEvent, runAppStep } from '#shared/apps/steps.ts';
import { createStepHandler } from '#shared/operations/step-handler.ts';

/** The app workflows' step Lambda. */
export const handler = createStepHandler('app', appStepEvent, runAppStep);
