/**
 * The one Logger and Metrics of the indexer (Powertools). Metric names come from the shared config
 * so the dashboard and the code cannot drift apart.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { EVENT_SOURCE_DIMENSION, METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../shared/config';

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export function count(name: MetricName, value = 1): void {
  if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
}

/** EventsIndexed carries the event source as a dimension, so it goes out as a single metric. */
export function countEventsIndexed(eventSource: string, value: number): void {
  if (value <= 0) return;
  const single = metrics.singleMetric();
  single.addDimension(EVENT_SOURCE_DIMENSION, eventSource);
  single.addMetric(METRIC.eventsIndexed, MetricUnit.Count, value);
}
