import { Logger } from '@aws-lambda-powertools/logger';

/** One structured logger per process; each request appends its request id, route and caller. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'palette-api' });
