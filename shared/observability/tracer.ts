import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * X-Ray tracing through Powertools: a segment per invocation (the API handler and the
 * step Lambdas open it) and a subsegment per AWS SDK call of the clients it captures.
 * Off outside Lambda (the local runtime), where Powertools turns it off by itself.
 */
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'palette' });

/** The same client, recording each call as a subsegment when tracing is on. */
export function traced<C extends object>(client: C): C {
  return tracer.isTracingEnabled() ? tracer.captureAWSv3Client(client) : client;
}
