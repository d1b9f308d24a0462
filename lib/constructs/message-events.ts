import { Duration, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DEFAULT_EVENT_SOURCE,
  DETAIL_FIELD_NAMES,
  EVENT_FIELD_NAMES,
  STATUS_DETAIL_TYPES,
  STATUS_EVENT_SCHEMA,
} from '../../lambda/common/status-events';
import { PUBLISHER_ENV } from '../../lambda/publisher/config';
import { closest } from '../closest';
import { eventPatternProblems } from '../event-pattern';
import { pascalCaseId } from '../stack-outputs';
import { checkWholeNumber, Problems, shown, type Problem } from '../validation';
import { DurableQueue } from './durable-queue';
import { VoltFunction, type LogLevel } from './volt-function';

/** One rule on the status events: the events its pattern matches go to a queue of its own. */
export interface EventRuleConfig {
  /**
   * 1-40 letters, digits, `-` and `_`, unique once PascalCased: it names the rule's queue, its
   * outputs (`EventRule<Name>QueueUrl`) and its dead-letter alarm.
   */
  readonly name: string;
  /**
   * An EventBridge event pattern over the status event (docs/events.md), e.g.
   * `{"detail": {"status": ["failed"]}}`. The rule also requires the stack's `source`, so the
   * pattern may not name `source` itself.
   */
  readonly pattern: Readonly<Record<string, unknown>>;
}

export interface MessageEventsProps {
  /** The messages table, with a stream of new and old images (`MessageStore` with `stream`). */
  readonly table: dynamodb.ITable;
  /** The bus to put the events on. @default a new custom bus */
  readonly eventBus?: events.IEventBus;
  /** The events' `source`: 1-256 characters without spaces, not starting with `aws.`. @default 'volt-sms-webhooks' */
  readonly source?: string;
  /** Days the bus's archive keeps the events (for EventBridge replay); 0 keeps them forever. @default 30 */
  readonly archiveRetentionDays?: number;
  /** Rules, each with its own queue (and dead-letter queue). @default none */
  readonly rules?: readonly EventRuleConfig[];
  /** Receives before a message of a rule queue moves to its dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
  /** Stream records per publisher invocation (1 to 1000). @default 100 */
  readonly batchSize?: number;
  /** Minutes the publisher may fall behind the table before its alarm fires. @default 5 */
  readonly maxPublishDelayMinutes?: number;
  /** The publisher's application log level. @default 'INFO' */
  readonly logLevel?: LogLevel;
}

// At least one letter or digit: the name is PascalCased into output and alarm ids.
const RULE_NAME = /^(?=.*[A-Za-z0-9])[A-Za-z0-9_-]{1,40}$/;

/** The pattern's field names, where a typo would make a rule that never matches. */
function patternFieldProblems(pattern: Readonly<Record<string, unknown>>, key: string, problems: Problems): void {
  const walk = (node: unknown, fields: readonly string[] | undefined, where: string): void => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
    for (const [field, value] of Object.entries(node)) {
      const at = `${where}.${field}`;
      if (field === '$or') {
        if (Array.isArray(value)) value.forEach((alt, i) => walk(alt, fields, `${at}[${i}]`));
        continue;
      }
      if (fields !== undefined && !fields.includes(field)) {
        const guess = closest(field, fields);
        problems.add(
          at,
          `is not a field of the status event${guess !== undefined ? `; did you mean "${guess}"?` : `; it has ${fields.join(', ')}`}`,
        );
        continue;
      }
      if (where === key && field === 'source')
        problems.add(at, "may not be set: each rule matches this stack's own source, which the construct adds");
      if (where === key && field === 'detail-type' && Array.isArray(value)) {
        for (const t of value)
          if (typeof t === 'string' && !(STATUS_DETAIL_TYPES as readonly string[]).includes(t)) {
            const guess = closest(t, STATUS_DETAIL_TYPES);
            problems.add(
              at,
              `${shown(t)} is not a detail-type of the status events${guess !== undefined ? `; did you mean "${guess}"?` : `; they are ${STATUS_DETAIL_TYPES.join(', ')}`}`,
            );
          }
      }
      // Below `detail` the names are the detail's; anything else (version, resources...) is not checked deeper.
      walk(value, where === key && field === 'detail' ? DETAIL_FIELD_NAMES : undefined, at);
    }
  };
  walk(pattern, EVENT_FIELD_NAMES, key);
}

/** The `source` rules of PutEvents, and EventBridge's reservation of `aws.`. */
function sourceProblem(source: string): string | undefined {
  if (Token.isUnresolved(source)) return undefined;
  if (!/^\S{1,256}$/.test(source)) return `must be 1-256 characters without spaces, got ${shown(source)}`;
  if (source.startsWith('aws.')) return `may not start with "aws." (reserved for AWS services), got ${shown(source)}`;
  return undefined;
}

/**
 * Status events on EventBridge: every status change of a message, once, as an event on a bus,
 * with rules that send the events a pattern matches to a queue each.
 *
 * The table's stream (new and old images) feeds a publisher function that puts one event per
 * status change (see `lambda/publisher/` and docs/events.md): the emission is as durable as the
 * write that caused it, costs the consumer no second write, and cannot race it. Lambda reads the
 * stream in order per message and retries a batch until its records expire (24 h); the publisher
 * reports the first record it could not put, so nothing before it is sent twice and nothing after
 * it is skipped. The bus has an archive (for EventBridge's own replay), and the event's JSON
 * Schema is in a schema registry of the stack. Attach any other target to `eventBus` yourself.
 */
export class MessageEvents extends Construct {
  /** The bus the events are put on. */
  public readonly eventBus: events.IEventBus;
  /** The events' `source`. */
  public readonly source: string;
  /** Keeps this stack's events for EventBridge replay. */
  public readonly archive: events.Archive;
  /** Turns the table's stream into events. */
  public readonly publisher: VoltFunction;
  /** The table's stream as the publisher's event source. */
  public readonly streamSource: lambda.EventSourceMapping;
  /** Where Lambda reports stream batches it gave up on (records older than the stream keeps, 24 h): events never put. */
  public readonly unpublished: sqs.Queue;
  /** Rules by name, in configuration order. */
  public readonly rules: ReadonlyMap<string, events.Rule>;
  /** Each rule's queue (with its dead-letter queue, which also takes what EventBridge could not deliver), by rule name. */
  public readonly ruleQueues: ReadonlyMap<string, DurableQueue>;
  /** The registry holding the events' schema. */
  public readonly schemaRegistry: eventschemas.CfnRegistry;
  /** The events' JSON Schema (draft 4), as in `schemas/message-status-event.json`. */
  public readonly schema: eventschemas.CfnSchema;
  /**
   * Events never put (a report arrived in `unpublished`), and the publisher falling behind the
   * table. They notify no one by themselves: `VoltWebhookPipeline` adds them to its monitoring.
   */
  public readonly alarms: readonly cloudwatch.Alarm[];

  /** Every problem with these props, without creating anything. */
  static checkProps(props: Partial<Omit<MessageEventsProps, 'table'>>): readonly Problem[] {
    const problems = new Problems('MessageEvents');
    if (props.source !== undefined) {
      const problem = sourceProblem(props.source);
      if (problem !== undefined) problems.add('source', problem);
    }
    checkWholeNumber(problems, 'archiveRetentionDays', props.archiveRetentionDays, 0, 36_500);
    checkWholeNumber(problems, 'batchSize', props.batchSize, 1, 1000);
    checkWholeNumber(problems, 'maxPublishDelayMinutes', props.maxPublishDelayMinutes, 1, 1440);
    const seen = new Map<string, string>();
    for (const [i, rule] of (props.rules ?? []).entries()) {
      const key = `rules[${i}]`;
      if (typeof rule.name !== 'string' || !RULE_NAME.test(rule.name)) {
        problems.add(
          `${key}.name`,
          `${shown(rule.name)} must be 1-40 letters, digits, "-" or "_", with a letter or digit among them`,
        );
      } else {
        const id = pascalCaseId(rule.name).toLowerCase();
        const earlier = seen.get(id);
        if (earlier !== undefined)
          problems.add(
            `${key}.name`,
            `${shown(rule.name)} is used twice: it is ${shown(earlier)} once PascalCased (case, "-" and "_" do not count)`,
          );
        seen.set(id, rule.name);
      }
      const syntax = eventPatternProblems(rule.pattern);
      for (const problem of syntax)
        problems.add(`${key}.pattern`, problem.startsWith('a pattern') ? `is not ${problem.slice(2)}` : problem);
      if (syntax.length === 0) patternFieldProblems(rule.pattern, `${key}.pattern`, problems);
    }
    return problems.all;
  }

  constructor(scope: Construct, id: string, props: MessageEventsProps) {
    super(scope, id);
    const problems = new Problems('MessageEvents');
    problems.include(MessageEvents.checkProps(props));
    if (props.table.tableStreamArn === undefined)
      problems.add('table', 'has no stream: give MessageStore `stream: StreamViewType.NEW_AND_OLD_IMAGES`');
    problems.throwIfAny();
    const streamArn = props.table.tableStreamArn as string;
    this.source = props.source ?? DEFAULT_EVENT_SOURCE;
    this.eventBus =
      props.eventBus ?? new events.EventBus(this, 'Bus', { description: 'Volt SMS message status events' });

    const retentionDays = props.archiveRetentionDays ?? 30;
    this.archive = new events.Archive(this, 'Archive', {
      sourceEventBus: this.eventBus,
      // A bus passed in may carry other events: only these are archived.
      eventPattern: { source: [this.source] },
      description: 'Volt SMS message status events, for replay',
      ...(retentionDays > 0 ? { retention: Duration.days(retentionDays) } : {}),
    });

    this.schemaRegistry = new eventschemas.CfnRegistry(this, 'SchemaRegistry', {
      description: 'Schemas of the Volt SMS message status events',
    });
    this.schema = new eventschemas.CfnSchema(this, 'Schema', {
      registryName: this.schemaRegistry.attrRegistryName,
      schemaName: 'MessageStatusEvent',
      type: 'JSONSchemaDraft4',
      content: JSON.stringify(STATUS_EVENT_SCHEMA),
      description: "A Volt SMS message's status changed (volt-sms-webhooks)",
    });

    this.publisher = new VoltFunction(this, 'Publisher', {
      functionDir: 'publisher',
      description: 'Puts a status event on EventBridge for every status change in the messages table',
      timeout: Duration.seconds(30),
      ...(props.logLevel !== undefined ? { logLevel: props.logLevel } : {}),
    });
    this.publisher.addEnvironment(PUBLISHER_ENV.eventBus, this.eventBus.eventBusArn);
    this.publisher.addEnvironment(PUBLISHER_ENV.source, this.source);
    this.publisher.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.eventBus.eventBusArn] }),
    );
    // The stream actions Lambda's poller needs, on this stream only (CDK's grantStreamRead adds ListStreams on "*").
    this.publisher.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
        ],
        resources: [streamArn],
      }),
    );

    this.unpublished = new sqs.Queue(this, 'Unpublished', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.unpublished.node.defaultChild as Construct).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the failure destination of the stream mapping: it holds reports of stream batches Lambda gave up on, ' +
        'read by an operator after its alarm, never consumed by a function, so it needs no DLQ of its own.',
    });
    this.streamSource = new lambda.EventSourceMapping(this, 'StreamSource', {
      target: this.publisher,
      eventSourceArn: streamArn,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? 100,
      // Retried until the records expire (24 h): a put that keeps failing holds the shard and fires the
      // delay alarm, and resumes where it stopped once fixed. Order per message is kept throughout.
      retryAttempts: -1,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      parallelizationFactor: 1,
      onFailure: new SqsDlq(this.unpublished),
    });

    const rules = new Map<string, events.Rule>();
    const ruleQueues = new Map<string, DurableQueue>();
    for (const config of props.rules ?? []) {
      const queue = new DurableQueue(this, `Rule-${config.name}`, {
        ...(props.maxReceiveCount !== undefined ? { maxReceiveCount: props.maxReceiveCount } : {}),
        role: config.name,
      });
      const rule = new events.Rule(this, `Rule${pascalCaseId(config.name)}`, {
        eventBus: this.eventBus,
        description: `Volt SMS status events of the "${config.name}" rule`,
        eventPattern: { source: [this.source] },
        targets: [new targets.SqsQueue(queue.queue, { deadLetterQueue: queue.deadLetterQueue })],
      });
      // The configured pattern whole (`$or`, any field), which the L2 pattern type cannot carry.
      (rule.node.defaultChild as events.CfnRule).addPropertyOverride('EventPattern', {
        ...config.pattern,
        source: [this.source],
      });
      rules.set(config.name, rule);
      ruleQueues.set(config.name, queue);
    }
    this.rules = rules;
    this.ruleQueues = ruleQueues;
    this.alarms = this.createAlarms(props);
  }

  private createAlarms(props: MessageEventsProps): cloudwatch.Alarm[] {
    const delay = props.maxPublishDelayMinutes ?? 5;
    return [
      new cloudwatch.Alarm(this, 'EventsUnpublished', {
        alarmDescription:
          'Lambda gave up on stream records of the messages table: their status events were never put on the bus ' +
          '(a report is in the UnpublishedEvents queue). See docs/operating.md.',
        // Reports arriving, not the queue's depth: it fires for each new loss, while the reports stay for the operator.
        metric: this.unpublished.metricNumberOfMessagesSent({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'EventsDelayed', {
        alarmDescription:
          `The status-event publisher is over ${delay} minute(s) behind the messages table: puts are failing and being retried, ` +
          'and stream records expire after 24 h. See docs/operating.md.',
        metric: this.publisher.metric('IteratorAge', { period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: delay * 60_000,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
  }
}
