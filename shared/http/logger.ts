import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'palette-api';

/** One structured logger per process; each request appends its request id, route and caller. */
export const logger = new Logger({ serviceName });

/**
 * Request metrics as CloudWatch EMF. `npm start` and the tests turn them off with
 * POWERTOOLS_METRICS_DISABLED, read when this module loads.
 */
export const metrics = new Metrics({ namespace: 'Palette', serviceName });
