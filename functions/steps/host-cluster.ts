import { runHostClusterStep, stepEventSchema } from '#shared/host-clusters/steps.ts';
import { createStepHandler } from '#shared/operations/step-handler.ts';

/** The host-cluster workflows' step Lambda. */
export const handler = createStepHandler('host-cluster', stepEventSchema, runHostClusterStep);
