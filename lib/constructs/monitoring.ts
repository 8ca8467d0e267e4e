import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DEFAULT_INDEXED_SOURCES,
  EVENT_SOURCE_DIMENSION,
  METRIC,
  METRICS_NAMESPACE,
  SERVICE_NAME,
} from '../../lambdas/shared/config';

export interface MonitoredQueue {
  /** Construct id prefix of its alarm, PascalCase. */
  readonly id: string;
  /** Shown in the alarm description and on the dashboard. */
  readonly label: string;
  readonly queue: sqs.IQueue;
}

export interface MonitoringProps {
  readonly indexer: lambda.IFunction;
  /** The digest verifier; its errors and each integrity finding raise an alarm. */
  readonly verifier?: lambda.IFunction;
  /** Further functions whose errors raise an alarm (the fast-path alerter, the trail monitor). */
  readonly functions?: readonly {
    readonly id: string;
    readonly label: string;
    readonly fn: lambda.IFunction;
  }[];
  /** Every dead-letter queue of the pipeline; each gets a "not empty" alarm. */
  readonly deadLetterQueues: readonly MonitoredQueue[];
  /**
   * CloudTrail's delivery topic, when this stack owns it; failed deliveries to the indexer raise an
   * alarm, and its silence does.
   * @default - the indexer's own invocations are the heartbeat
   */
  readonly deliveryTopic?: sns.ITopic;
  /** Alarms notify this topic. */
  readonly alertTopic: sns.ITopic;
  /**
   * Event sources plotted in "events indexed".
   * @default ['glacier.amazonaws.com', 'support.amazonaws.com']
   */
  readonly indexedSources?: readonly string[];
  /**
   * Hours without any CloudTrail notification after which the heartbeat alarm fires.
   * @default Duration.hours(3)
   */
  readonly silenceAfter?: Duration;
  /**
   * Aggregation period of the alarms and the dashboard.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
}

/**
 * Makes failures visible: alarms on every dead-letter queue, on indexer errors and failed log
 * files, and on failed SNS deliveries, all notifying the alert topic; plus a dashboard of the
 * pipeline's health drawn from the metrics the indexer emits.
 */
export class Monitoring extends Construct {
  public readonly alarms: cloudwatch.Alarm[] = [];
  public readonly dashboard: cloudwatch.Dashboard;

  public constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const notify = new actions.SnsAction(props.alertTopic);
    const anyAtAll = (alarmId: string, description: string, metric: cloudwatch.IMetric) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // No data means nothing failed (SNS and Lambda publish error metrics only when they occur).
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(notify);
      this.alarms.push(alarm);
      return alarm;
    };

    // Alarms get unlabelled metrics (a label turns the alarm into a metric-math alarm); the
    // dashboard gets labelled ones.
    const queueDepth = (queue: sqs.IQueue, label?: string) =>
      queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label });
    for (const { id: queueId, label, queue } of props.deadLetterQueues) {
      anyAtAll(
        `${queueId}NotEmpty`,
        `trail-index: the ${label} holds messages; inspect them and run "trail-index redrive".`,
        queueDepth(queue),
      );
    }
    const errors = props.indexer.metricErrors({ period, statistic: 'Sum' });
    anyAtAll('IndexerErrors', 'trail-index: the indexer function failed; see its log group.', errors);
    const metric = (metricName: string, label?: string, extra: Record<string, string> = {}) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: SERVICE_NAME, ...extra },
        statistic: 'Sum',
        period,
        label,
      });
    anyAtAll(
      'LogFilesFailed',
      'trail-index: the indexer could not read one or more log files; see its log group.',
      metric(METRIC.filesFailed),
    );
    anyAtAll(
      'LogFilesRefused',
      'trail-index: a notification named a file outside the trail bucket or its prefix; it was refused unread. ' +
        'Someone may be planting messages: check who can publish to the delivery topic and send to its queues.',
      metric(METRIC.filesRefused),
    );
    // Integrity findings: each is also an alert of its own, once per object; the alarm makes the
    // state visible on the dashboard and to anyone subscribed to alarms only.
    const integrity: [string, string, string][] = [
      [METRIC.digestsInvalid, 'DigestsInvalid', 'a CloudTrail digest file failed verification'],
      [METRIC.digestsMissing, 'DigestsMissing', 'a CloudTrail digest file was deleted'],
      [METRIC.logFilesInvalid, 'LogFilesInvalid', "a log file's SHA-256 differs from its signed digest"],
      [METRIC.logFilesMissing, 'LogFilesMissing', 'a log file listed by a signed digest was deleted'],
      [METRIC.digestsOverdue, 'DigestsOverdue', 'log files arrive but CloudTrail writes no digests'],
      [METRIC.digestChainGaps, 'DigestChainGaps', 'a digest chain restarted (logging or validation was off)'],
    ];
    if (props.verifier !== undefined) {
      anyAtAll(
        'VerifierErrors',
        'trail-index: the digest verifier failed; see its log group.',
        props.verifier.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
      );
      for (const [metricName, alarmId, what] of integrity) {
        anyAtAll(
          alarmId,
          `trail-index: ${what}. The alert topic has the details; run "trail-index verify --stack --since 24h".`,
          new cloudwatch.Metric({
            namespace: METRICS_NAMESPACE,
            metricName,
            dimensionsMap: { service: SERVICE_NAME },
            statistic: 'Sum',
            // The verifier runs hourly: an hour's sum, so that one run's finding is seen.
            period: Duration.hours(1),
          }),
        );
      }
    }
    for (const { id: alarmId, label, fn } of props.functions ?? []) {
      anyAtAll(
        `${alarmId}Errors`,
        `trail-index: the ${label} failed; see its log group.`,
        fn.metricErrors({ period, statistic: 'Sum' }),
      );
    }
    const topic = props.deliveryTopic;
    const failedDeliveries = topic?.metricNumberOfNotificationsFailed({ period, statistic: 'Sum' });
    if (failedDeliveries !== undefined) {
      anyAtAll(
        'DeliveryFailed',
        'trail-index: SNS could not deliver CloudTrail notifications to the indexer.',
        failedDeliveries,
      );
    }
    // A heartbeat: CloudTrail delivers log files every few minutes in any live account. Silence
    // means the trail stopped, or CloudTrail lost its right to publish or to use the key. With a
    // topic this stack does not own, the indexer's own invocations are the heartbeat.
    const hourly = { period: Duration.hours(1), statistic: 'Sum' };
    const silence = new cloudwatch.Alarm(this, 'NoDeliveries', {
      alarmDescription: `trail-index: ${topic === undefined ? 'the indexer was not invoked' : 'CloudTrail announced no log file'} for ${props.silenceAfter?.toHours() ?? 3} hours; check the trail's status and the notification path.`,
      metric: topic?.metricNumberOfMessagesPublished(hourly) ?? props.indexer.metricInvocations(hourly),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: props.silenceAfter?.toHours() ?? 3,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    silence.addAlarmAction(notify);
    this.alarms.push(silence);

    const sources = props.indexedSources ?? DEFAULT_INDEXED_SOURCES;
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(1),
      widgets: [
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 3 })],
        [
          graph(
            'Log files',
            [
              metric(METRIC.filesProcessed, 'processed'),
              metric(METRIC.filesSkipped, 'skipped'),
              metric(METRIC.filesFailed, 'failed'),
              metric(METRIC.filesRefused, 'refused (outside the trail bucket)'),
            ],
            [metric(METRIC.recordsScanned, 'records scanned')],
          ),
          graph(
            'Events indexed',
            sources.map((source) =>
              metric(METRIC.eventsIndexed, source, { [EVENT_SOURCE_DIMENSION]: source }),
            ),
          ),
          graph('Alerts and retries', [
            metric(METRIC.alertsPublished, 'alerts published'),
            metric(METRIC.fastAlertsPublished, 'alerts published from EventBridge'),
            metric(METRIC.trailProblems, 'trail status problems (sum of checks)'),
            metric(METRIC.writeRetries, 'write retries'),
            metric(METRIC.notificationsSkipped, 'notifications skipped'),
          ]),
        ],
        [
          graph('Indexer invocations and errors', [
            props.indexer.metricInvocations({ period, statistic: 'Sum' }),
            errors,
            props.indexer.metricThrottles({ period, statistic: 'Sum' }),
          ]),
          graph('Indexer duration', [
            props.indexer.metricDuration({ period, statistic: 'p50', label: 'p50' }),
            props.indexer.metricDuration({ period, statistic: 'p99', label: 'p99' }),
            props.indexer.metricDuration({ period, statistic: 'Maximum', label: 'max' }),
          ]),
          graph('Integrity (hourly digest verification)', [
            metric(METRIC.digestsVerified, 'digests verified'),
            metric(METRIC.logFilesVerified, 'log files verified'),
            metric(METRIC.digestsInvalid, 'digests invalid'),
            metric(METRIC.digestsMissing, 'digests missing'),
            metric(METRIC.logFilesInvalid, 'log files invalid'),
            metric(METRIC.logFilesMissing, 'log files missing'),
            metric(METRIC.digestChainGaps, 'chain gaps'),
            metric(METRIC.digestsOverdue, 'digests overdue'),
          ]),
          graph('Deliveries and dead letters', [
            ...(topic === undefined || failedDeliveries === undefined
              ? []
              : [
                  topic.metricNumberOfMessagesPublished({ period, statistic: 'Sum', label: 'published' }),
                  failedDeliveries,
                ]),
            ...props.deadLetterQueues.map(({ label, queue }) => queueDepth(queue, label)),
          ]),
        ],
      ],
    });
  }
}
