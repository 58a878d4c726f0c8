import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export { MetricUnit };

const byService = new Map<string, Metrics>();

/**
 * CloudWatch EMF metrics, one Metrics object per service for the life of the process
 * (making one costs ~0.1 ms: its own Console and environment parsing, on every request).
 * Callers add and publish within one synchronous turn, never across an await: publishing
 * clears the dimensions, so concurrent invocations in the local runtime never share them.
 * `npm start` and the tests switch them off with POWERTOOLS_METRICS_DISABLED.
 */
export function serviceMetrics(serviceName: string): Metrics {
  let metrics = byService.get(serviceName);
  if (!metrics) byService.set(serviceName, (metrics = new Metrics({ namespace: 'Palette', serviceName })));
  return metrics;
}
