import { backupStepEvent, runBackupStep } from '#shared/backups/steps.ts';
import { createStepHandler } from '#shared/operations/step-handler.ts';

/** The backup workflow's step Lambda. */
export const handler = createStepHandler('backup', backupStepEvent, runBackupStep);
