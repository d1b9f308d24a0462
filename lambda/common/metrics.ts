/**
 * Where the functions' custom metrics go. Each stack gets its own namespace, so two deployments
 * in one account and region never mix their counts or trip each other's alarms.
 */
export const METRICS_NAMESPACE_ENV = 'POWERTOOLS_METRICS_NAMESPACE';

/** Used when the function runs without the variable (unit tests). */
export const DEFAULT_METRICS_NAMESPACE = 'VoltWebhooks';

export function metricsNamespaceFor(stackName: string): string {
  return `${DEFAULT_METRICS_NAMESPACE}/${stackName}`;
}
