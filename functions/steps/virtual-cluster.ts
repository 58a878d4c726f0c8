import { runVirtualClusterStep, virtualClusterStepEvent } from '#shared/virtual-clusters/steps.ts';
import { createStepHandler } from '#shared/operations/step-handler.ts';

/** The virtual-cluster workflows' step Lambda. */
export const handler = createStepHandler('virtual-cluster', virtualClusterStepEvent, runVirtualClusterStep);
