import { ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { isEmailAddress } from '../../lambda/common/formats';
import {
  CONSUMER_METRICS,
  INGEST_METRICS,
  METRICS_SERVICE,
  metricsNamespaceFor,
  SERVICE_DIMENSION,
} from '../../lambda/common/metrics';
import { pascalCaseId } from '../stack-outputs';
import { checkWholeNumber, InvalidPropsError, Problems, shown, throwIfAny, type Problem } from '../validation';

/**
 * The `service` dimension of the functions' custom metrics (embedded metric format, Powertools),
 * defined with the metric names in `lambda/common/metrics.ts`.
 */
export const INGEST_METRICS_SERVICE = METRICS_SERVICE.ingest;
export const CONSUMER_METRICS_SERVICE = METRICS_SERVICE.consumer;

/** A dead-letter queue to watch, with the name operators know it by (`state`, a subscriber's name). */
export interface MonitoredDeadLetterQueue {
  /** Names the alarm (`DeadLetters<Name>`) and appears in its description. */
  readonly name: string;
  /** The dead-letter queue whose depth is watched. */
  readonly queue: sqs.IQueue;
}

export interface PipelineMonitoringProps {
  /**
   * Dead-letter queues to watch from the start: each gets a depth alarm. Add more with
   * `watchDeadLetterQueue` (`VoltWebhookPipeline` does, for every `DurableQueue` in it).
   * @default none yet
   */
  readonly deadLetterQueues?: readonly MonitoredDeadLetterQueue[];
  /** The queue the consumer reads: its oldest message's age shows the consumer falling behind. */
  readonly stateQueue: sqs.IQueue;
  /** The HTTP API Volt posts to. */
  readonly api: apigwv2.IHttpApi;
  /** The function behind the webhook route. */
  readonly ingestFunction: lambda.IFunction;
  /** The function that applies the state queue's events to the table. */
  readonly consumerFunction: lambda.IFunction;
  /** Subscribed to the alarm topic by email (the address must confirm it). @default no subscription */
  readonly alarmEmail?: string;
  /** Age of the state queue's oldest message that raises the lag alarm. @default Duration.minutes(10) */
  readonly maxStateQueueAge?: Duration;
  /** 5xx answers to Volt within 5 minutes that raise the alarm (each one makes Volt retry). @default 5 */
  readonly serverErrorThreshold?: number;
  /** Requests rejected for their signature within 5 minutes that count as a spike. @default 25 */
  readonly signatureRejectionThreshold?: number;
  /** The metric counting signature rejections. @default `SignatureRejected` in the stack's metrics namespace (`VoltWebhooks/<stackName>`), `service`=`ingest`, as the ingest function emits it */
  readonly signatureRejections?: cloudwatch.IMetric;
  /**
   * Hours without a single event reaching the state queue that raise the silence alarm: a revoked
   * registration or a broken route looks exactly like a quiet day otherwise. A whole number from
   * 1 to 168 (CloudWatch evaluates at most 7 days of hourly periods); 0 creates no silence alarm.
   * @default 24
   */
  readonly silenceAlarmHours?: number;
  /**
   * The API stage's access logs (JSON, with a `status` field, as `WebhookIngest` writes them): a
   * metric filter counts the requests the stage throttled (429) and an alarm fires on any.
   * @default no throttling alarm
   */
  readonly accessLogGroup?: logs.ILogGroup;
}

/** Default of {@link PipelineMonitoringProps.silenceAlarmHours}. */
export const DEFAULT_SILENCE_ALARM_HOURS = 24;
/**
 * CloudWatch refuses an alarm whose period times evaluation periods exceeds 7 days (1 day when
 * the period is under an hour): 168 hourly periods is the longest silence one alarm can watch.
 */
export const MAX_SILENCE_ALARM_HOURS = 168;
/** The metric the access-log filter publishes (stack namespace, no dimension): requests answered 429 by the stage. */
export const THROTTLED_REQUESTS_METRIC = 'ThrottledRequests';

const FIVE_MINUTES = Duration.minutes(5);

/** The id of a dead-letter queue's alarm: also what two queue names must not share. */
function deadLetterAlarmId(name: string): string {
  return `DeadLetters${pascalCaseId(name)}`;
}

/** What differs between the pipeline's alarms. */
interface AlarmSpec {
  /** What is wrong; the alarm description adds where the runbook is. */
  readonly description: string;
  /** Appended to the runbook pointer, e.g. the command to run next. */
  readonly seeAlso?: string;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  /** `>` instead of `>=`. */
  readonly strictlyAbove?: boolean;
  /** Consecutive periods that must breach. @default 1 */
  readonly periods?: number;
  /** `<` instead of `>=`/`>`: the alarm is on an absence. */
  readonly below?: boolean;
  /** Missing data counts as breaching (the alarm is on an absence). @default false */
  readonly missingIsBreaching?: boolean;
}

function customMetric(namespace: string, service: string, metricName: string, statistic = 'Sum'): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace,
    metricName,
    dimensionsMap: { [SERVICE_DIMENSION]: service },
    statistic,
    period: FIVE_MINUTES,
  });
}

/**
 * Alarms and a dashboard for the pipeline. Every alarm notifies one SNS topic (KMS-encrypted,
 * TLS only) both when it fires and when it recovers. What each alarm means and what to do:
 * docs/operating.md.
 */
export class PipelineMonitoring extends Construct {
  /** Alarm and OK notifications. */
  public readonly topic: sns.Topic;
  /** Encrypts the topic; CloudWatch may use it to publish. */
  public readonly topicKey: kms.Key;
  public readonly dashboard: cloudwatch.Dashboard;
  /** One alarm per dead-letter queue, by the queue's name; grows with `watchDeadLetterQueue`. */
  public readonly deadLetterAlarms: ReadonlyMap<string, cloudwatch.Alarm>;
  public readonly stateQueueAgeAlarm: cloudwatch.Alarm;
  public readonly serverErrorAlarm: cloudwatch.Alarm;
  public readonly signatureRejectionAlarm: cloudwatch.Alarm;
  public readonly consumerErrorAlarm: cloudwatch.Alarm;
  public readonly consumerThrottleAlarm: cloudwatch.Alarm;
  /** No event reached the state queue for `silenceAlarmHours`; absent when that is 0. */
  public readonly silenceAlarm?: cloudwatch.Alarm;
  /** The stage answered 429; absent without `accessLogGroup`. */
  public readonly throttledRequestsAlarm?: cloudwatch.Alarm;
  /** Every alarm above, the dead-letter ones first; grows with `watchDeadLetterQueue`. */
  public readonly alarms: readonly cloudwatch.Alarm[];

  private readonly allAlarms: cloudwatch.Alarm[] = [];
  private readonly deadLetterAlarmsByName = new Map<string, cloudwatch.Alarm>();
  private readonly watchedQueues = new Set<sqs.IQueue>();
  private readonly deadLetterGraph: cloudwatch.GraphWidget;

  /** Every problem with these props, without creating anything. */
  static checkProps(props: Partial<PipelineMonitoringProps>): readonly Problem[] {
    const problems = new Problems('PipelineMonitoring');
    const queues = props.deadLetterQueues;
    if (queues !== undefined) {
      if (queues.length === 0) {
        problems.add(
          'deadLetterQueues',
          'must list at least one dead-letter queue when given (leave it out to add them with watchDeadLetterQueue)',
        );
      }
      const seen = new Map<string, string>();
      for (const [i, { name }] of queues.entries()) {
        const id = pascalCaseId(name);
        const earlier = seen.get(id);
        if (id === '') problems.add(`deadLetterQueues[${i}].name`, `needs letters or digits, got ${shown(name)}`);
        else if (earlier !== undefined)
          problems.add(
            `deadLetterQueues[${i}].name`,
            `must be unique once PascalCased (it names the alarm ${deadLetterAlarmId(name)}), got ${shown(name)} after ${shown(earlier)}`,
          );
        seen.set(id, name);
      }
    }
    if (props.alarmEmail !== undefined && !Token.isUnresolved(props.alarmEmail) && !isEmailAddress(props.alarmEmail)) {
      problems.add('alarmEmail', `is not an email address: ${shown(props.alarmEmail)}`);
    }
    const age = props.maxStateQueueAge?.toSeconds();
    if (age !== undefined && (age < 60 || age > 14 * 24 * 3600)) {
      problems.add('maxStateQueueAge', `must be from 1 minute to 14 days, got ${age} s`);
    }
    for (const [name, value] of [
      ['serverErrorThreshold', props.serverErrorThreshold],
      ['signatureRejectionThreshold', props.signatureRejectionThreshold],
    ] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        problems.add(name, `must be a whole number of at least 1, got ${shown(value)}`);
      }
    }
    checkWholeNumber(
      problems,
      'silenceAlarmHours',
      props.silenceAlarmHours,
      0,
      MAX_SILENCE_ALARM_HOURS,
      ' (0 turns the alarm off; CloudWatch evaluates at most 7 days of hourly periods)',
    );
    return problems.all;
  }

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    throwIfAny(PipelineMonitoring.checkProps(props));
    const stack = Stack.of(this);
    this.alarms = this.allAlarms;
    this.deadLetterAlarms = this.deadLetterAlarmsByName;

    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the Volt webhooks alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An alarm publishes as CloudWatch, which needs the key: an AWS managed key cannot grant that.
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Volt webhooks alarms',
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one: say explicitly that this account's alarms may publish.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (props.alarmEmail !== undefined)
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    // Filled as queues are watched; the dashboard reads it when the template is synthesized.
    this.deadLetterGraph = graph('Dead-letter queues', []);
    for (const { name, queue } of props.deadLetterQueues ?? []) this.watchDeadLetterQueue(name, queue);

    const maxAge = props.maxStateQueueAge ?? Duration.minutes(10);
    this.stateQueueAgeAlarm = this.alarm('StateQueueAge', {
      description: `The state queue's oldest message is over ${maxAge.toHumanString()} old: the consumer is failing or falling behind.`,
      metric: props.stateQueue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: maxAge.toSeconds(),
      strictlyAbove: true,
      periods: 3,
    });

    this.serverErrorAlarm = this.alarm('IngestServerErrors', {
      description: 'The webhook URL answered Volt with 5xx: events are not being queued (Volt retries them).',
      metric: props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: props.serverErrorThreshold ?? 5,
    });

    const namespace = metricsNamespaceFor(Stack.of(this).stackName);
    const ingestMetric = (name: string) => customMetric(namespace, METRICS_SERVICE.ingest, name);
    const consumerMetric = (name: string, statistic?: string) =>
      customMetric(namespace, METRICS_SERVICE.consumer, name, statistic);
    const signatureRejections = props.signatureRejections ?? ingestMetric(INGEST_METRICS.signatureRejected);
    this.signatureRejectionAlarm = this.alarm('SignatureRejections', {
      description:
        'Many requests to the webhook URL failed signature verification: a key rotation at Volt, a wrong key or scheme, or someone probing the URL.',
      metric: signatureRejections,
      threshold: props.signatureRejectionThreshold ?? 25,
    });

    this.consumerErrorAlarm = this.alarm('ConsumerErrors', {
      description: 'The consumer failed whole batches: events are retried and may reach the state DLQ.',
      metric: props.consumerFunction.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 1,
    });

    this.consumerThrottleAlarm = this.alarm('ConsumerThrottles', {
      description:
        'Lambda throttled the consumer: the account or function ran out of concurrency, and the state queue backs up.',
      metric: props.consumerFunction.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 1,
    });

    // Only verified events reach the state queue: probes, forgeries and throttled requests do not
    // count, so an hour of them still looks silent. Hourly sums, all of the last N missing or zero.
    const silenceHours = props.silenceAlarmHours ?? DEFAULT_SILENCE_ALARM_HOURS;
    if (silenceHours > 0) {
      this.silenceAlarm = this.alarm('WebhookSilence', {
        description: `No webhook event was accepted for ${silenceHours} hour(s): Volt's registration may be gone, or the route broken.`,
        seeAlso: ', and `volt-webhooks doctor` for the time of the last accepted webhook',
        metric: props.stateQueue.metricNumberOfMessagesSent({ period: Duration.hours(1), statistic: 'Sum' }),
        threshold: 1,
        below: true,
        periods: silenceHours,
        // SQS reports nothing for a queue no one touches: silence must not look like health.
        missingIsBreaching: true,
      });
    }

    let throttledRequests: cloudwatch.Metric | undefined;
    if (props.accessLogGroup !== undefined) {
      // The stage answers 429 itself, before the function: only its access log sees them.
      const filter = new logs.MetricFilter(this, 'ThrottledRequestsFilter', {
        logGroup: props.accessLogGroup,
        filterPattern: logs.FilterPattern.any(
          logs.FilterPattern.stringValue('$.status', '=', '429'),
          logs.FilterPattern.numberValue('$.status', '=', 429),
        ),
        metricNamespace: namespace,
        metricName: THROTTLED_REQUESTS_METRIC,
        metricValue: '1',
      });
      throttledRequests = filter.metric({ period: FIVE_MINUTES, statistic: 'Sum' });
      this.throttledRequestsAlarm = this.alarm('IngestThrottled', {
        description:
          'The webhook URL answered 429 (over the stage throttle): those events were not queued, and whether Volt retries them is unknown.',
        seeAlso: ' and docs/capacity.md',
        metric: throttledRequests,
        threshold: 1,
      });
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        // The live list: alarms watched later are on the dashboard too.
        alarms: this.allAlarms,
        width: 24,
        height: 4,
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      }),
    );
    this.dashboard.addWidgets(
      graph('Webhook requests', [
        props.api.metricCount({ period: FIVE_MINUTES, statistic: 'Sum', label: 'requests' }),
        props.api.metricClientError({ period: FIVE_MINUTES, statistic: 'Sum', label: '4xx (rejected)' }),
        props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum', label: '5xx (Volt retries)' }),
        ...(throttledRequests ? [throttledRequests.with({ label: '429 (throttled)' })] : []),
      ]),
      graph('Ingest outcomes', [
        // Accepted events are counted by SQS, not by a metric line per request (docs/observability.md).
        props.stateQueue.metricNumberOfMessagesSent({
          period: FIVE_MINUTES,
          statistic: 'Sum',
          label: 'enqueued (state queue)',
        }),
        signatureRejections,
        ingestMetric(INGEST_METRICS.enqueueFailed).with({ label: 'enqueue failed' }),
      ]),
      graph('Webhook latency (p99)', [
        props.api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99', label: 'API' }),
        props.ingestFunction.metricDuration({ period: FIVE_MINUTES, statistic: 'p99', label: 'ingest function' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'State queue',
        [
          props.stateQueue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: 'Maximum',
            label: 'waiting',
          }),
        ],
        [
          props.stateQueue.metricApproximateAgeOfOldestMessage({
            period: Duration.minutes(1),
            statistic: 'Maximum',
            label: 'oldest (s)',
          }),
        ],
      ),
      this.deadLetterGraph,
    );
    this.dashboard.addWidgets(
      graph('Consumer', [
        props.consumerFunction.metricInvocations({ period: FIVE_MINUTES, statistic: 'Sum', label: 'invocations' }),
        props.consumerFunction.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum', label: 'errors' }),
        props.consumerFunction.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum', label: 'throttles' }),
      ]),
      graph('Message state', [
        consumerMetric(CONSUMER_METRICS.stateChanged).with({ label: 'state changes' }),
        consumerMetric(CONSUMER_METRICS.duplicate).with({ label: 'duplicates' }),
        consumerMetric(CONSUMER_METRICS.stale).with({ label: 'stale events' }),
      ]),
      graph('Consumer lag (p99, ms)', [
        consumerMetric(CONSUMER_METRICS.consumerLag, 'p99').with({ label: 'now - occurredAt' }),
      ]),
    );
  }

  /**
   * Watches a dead-letter queue: an alarm as soon as a message is in it, and a line on the
   * dashboard. `name` is what operators know the queue by (`state`, a subscriber's name); it names
   * the alarm, so two queues must not share it once PascalCased. Watching a queue twice does nothing.
   */
  watchDeadLetterQueue(name: string, queue: sqs.IQueue): void {
    if (this.watchedQueues.has(queue)) return;
    const alarmId = deadLetterAlarmId(name);
    const taken = [...this.deadLetterAlarmsByName.keys()].find((n) => deadLetterAlarmId(n) === alarmId);
    if (pascalCaseId(name) === '' || taken !== undefined) {
      throw new InvalidPropsError([
        {
          owner: 'PipelineMonitoring',
          key: 'deadLetterQueue name',
          message:
            taken === undefined
              ? `needs letters or digits, got ${shown(name)}`
              : `must be unique once PascalCased (it names the alarm ${alarmId}), got ${shown(name)} after ${shown(taken)}`,
        },
      ]);
    }
    this.watchedQueues.add(queue);
    // Before the other alarms, in the order the queues were watched.
    const created = this.alarm(
      alarmId,
      {
        description: `Messages are waiting in the "${name}" dead-letter queue: they failed ${name === 'state' ? 'the consumer' : 'their subscriber'} repeatedly.`,
        seeAlso: ', then `volt-webhooks redrive`',
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 0,
        strictlyAbove: true,
      },
      this.deadLetterAlarmsByName.size,
    );
    this.deadLetterAlarmsByName.set(name, created);
    this.deadLetterGraph.addLeftMetric(
      queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
        label: name,
      }),
    );
  }

  /**
   * Watches an alarm made elsewhere (e.g. `MessageEvents`'): it notifies the topic when it fires
   * and when it clears, and is listed with the others on the dashboard. Adding one twice does nothing.
   */
  addAlarm(alarm: cloudwatch.Alarm): void {
    if (this.allAlarms.includes(alarm)) return;
    const action = new cwActions.SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.allAlarms.push(alarm);
  }

  /**
   * An alarm on the topic (ALARM and OK), kept in `alarms` at `position` (the end by default).
   * Most alarms count something that is absent when all is well (SQS stops reporting an empty,
   * idle queue), so missing data is not breaching; an alarm on an absence says otherwise.
   */
  private alarm(alarmId: string, spec: AlarmSpec, position = this.allAlarms.length): cloudwatch.Alarm {
    const created = new cloudwatch.Alarm(this, alarmId, {
      alarmDescription: `${spec.description} See docs/operating.md${spec.seeAlso ?? ''}.`,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.below
        ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
        : spec.strictlyAbove
          ? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
          : cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: spec.periods ?? 1,
      ...(spec.periods !== undefined ? { datapointsToAlarm: spec.periods } : {}),
      treatMissingData: spec.missingIsBreaching
        ? cloudwatch.TreatMissingData.BREACHING
        : cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const action = new cwActions.SnsAction(this.topic);
    created.addAlarmAction(action);
    created.addOkAction(action);
    this.allAlarms.splice(position, 0, created);
    return created;
  }
}

function graph(title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });
}
