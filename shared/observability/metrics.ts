import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export { MetricUnit };

/**
 * CloudWatch EMF metrics, one Metrics object per invocation so that concurrent
 * invocations in the local runtime never share dimensions. `npm start` and the tests
 * switch them off with POWERTOOLS_METRICS_DISABLED.
 */
export function invocationMetrics(serviceName: string): Metrics {
  return new Metrics({ namespace: 'Palette', serviceName });
}
