import { appStepEvent, runAppStep } from '#shared/apps/steps.ts';
import { createStepHandler } from '#shared/operations/step-handler.ts';

/** The app workflows' step Lambda. Applying and checking tiers loop once per tier: each is done on the last tier. */
export const handler = createStepHandler('app', appStepEvent, runAppStep, (event, result) => {
  const tiers = event.args.plan?.count ?? 0;
  if (event.step === 'applyTier') return Number(result.next) >= tiers;
  if (event.step === 'checkTier') return result.phase === 'Ready' && (event.args.tier?.next ?? 0) >= tiers;
  return event.target === undefined || result.phase === event.target;
});
