import { STATE_QUEUE_ROLE } from '../template-contract';
import { Annotations, AspectPriority, Aspects, Duration, Token, type IAspect } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { pascalCaseId } from '../stack-outputs';
import { Problems, shown, throwIfAny, type Problem } from '../validation';
import { ARCHIVE_TARGET_NAME, DeliveryArchive, type ObjectLockMode } from './delivery-archive';
import { DurableQueue } from './durable-queue';
import { MessageEvents, type EventRuleConfig } from './message-events';
import { MessageStore } from './message-store';
import { PipelineMonitoring } from './monitoring';
import { RejectedRequestQuarantine } from './quarantine';
import { eventTypesProblem } from './targets/ingest-target';
import { SqsIngestTarget } from './targets/sqs-target';
import { VoltFunction, type LogLevel } from './volt-function';
import { WebhookIngest } from './webhook-ingest';
import { WebhookRegistration } from './webhook-registration';

/** One consumer system's queue, fed with the events it asks for. */
export interface SubscriberConfig {
  /** Letters, digits, `-` and `_`; unique once PascalCased (it names outputs and alarms). Not `state`. */
  readonly name: string;
  /** Only these `event_type`s (e.g. `message.received`). @default every event type */
  readonly eventTypes?: readonly string[];
  /**
   * Accept `eventTypes` Volt is not known to send (it documents `message.received`,
   * `message.sent` and `message.finalized`). Without it such a type is refused, since a typo
   * would leave the queue empty forever. @default false
   */
  readonly allowUnknownEventTypes?: boolean;
}

/** A public key as configured: an `ssh-rsa` line, a PEM block, or a JWK object. */
export type PublicKeyConfig = string | Record<string, unknown>;

export interface VoltWebhookPipelineProps {
  /** Keys to trust, pinned (several for rotation). @default none: the key is fetched from `voltPublicKeyUrl` */
  readonly voltPublicKeys?: readonly PublicKeyConfig[];
  /** Where Volt's public key is served (https). @default 'https://callbacks.respondflow.com/id_rsa.pub' */
  readonly voltPublicKeyUrl?: string;
  /** Accept a plain `http://` `voltPublicKeyUrl`, e.g. for a test endpoint. @default false */
  readonly allowHttpKeyUrl?: boolean;
  /** `<padding>-<hash>-<encoding>`. @default 'pkcs1-sha256-base64' */
  readonly signatureScheme?: string;
  /** Subscriber queues, one per entry. @default none */
  readonly subscribers?: readonly SubscriberConfig[];
  /** Largest accepted webhook body in bytes. @default 65536 */
  readonly maxBodyBytes?: number;
  /** Receives before a message moves to its DLQ. @default 5 */
  readonly maxReceiveCount?: number;
  /** Days a message's item is kept after its last event (DynamoDB TTL). @default kept forever */
  readonly messageRetentionDays?: number;
  /**
   * Name or ARN of the Secrets Manager secret holding Volt's API token (the bare token or
   * `{"token":"..."}`). When set, the webhook URL is registered with Volt on deploy.
   * @default none: the pipeline deploys without registering, and synth says so
   */
  readonly voltApiTokenSecret?: string;
  /** Volt's GraphQL endpoint, used to register the webhook. @default 'https://api.respondflow.com/graphql' */
  readonly voltApiUrl?: string;
  /** Email address subscribed to the alarm topic (it must confirm the subscription). @default no subscription */
  readonly alarmEmail?: string;
  /**
   * Steady-state requests per second the webhook URL accepts; more are answered 429 (whether
   * Volt retries those is unknown). Sized in docs/capacity.md. @default 1000
   */
  readonly throttleRateLimit?: number;
  /** Requests the webhook URL accepts at once (the token bucket's size). @default 500 */
  readonly throttleBurstLimit?: number;
  /**
   * Hours without any accepted webhook that raise the silence alarm (a revoked registration or
   * a broken route looks like a quiet day otherwise): 1 to 168, or 0 for no alarm. @default 24
   */
  readonly silenceAlarmHours?: number;
  /** At most this many rejected requests quarantined per ingest instance and minute; 0 keeps none. @default 10 */
  readonly quarantinePerMinute?: number;
  /**
   * The functions' application log level (Lambda's logging controls, `AWS_LAMBDA_LOG_LEVEL`,
   * which Powertools Logger follows). At INFO an accepted webhook writes no line; DEBUG adds one
   * per accepted event. @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Rules on the message status events, each with a queue of its own, e.g.
   * `[{"name": "failures", "pattern": {"detail": {"status": ["failed"]}}}]`. Names share the
   * subscribers' rules and must differ from every subscriber's (they name queues, outputs and
   * alarms alike). @default none
   */
  readonly eventRules?: readonly EventRuleConfig[];
  /** The `source` of the status events. @default 'volt-sms-webhooks' */
  readonly eventSource?: string;
  /**
   * Name or ARN of an existing event bus (of this account and region) to put the status events
   * on, instead of a new one. @default a new custom bus
   */
  readonly eventBus?: string;
  /** Days the bus's archive keeps the status events (for EventBridge replay); 0 keeps them forever. @default 30 */
  readonly eventArchiveRetentionDays?: number;
  /**
   * Keep every verified delivery (raw body, signature, receive time, ids) in S3, for replay and
   * Athena (docs/archive.md). @default true
   */
  readonly archive?: boolean;
  /**
   * Name or ARN of an existing bucket to keep the archive in, instead of a new one (its
   * encryption, versioning and lifecycle are yours). @default a new bucket
   */
  readonly archiveBucket?: string;
  /** Key prefix of the archive objects, ending in `/`. @default 'deliveries/' */
  readonly archivePrefix?: string;
  /** Days archived deliveries are kept (a new bucket's lifecycle). @default kept forever */
  readonly archiveRetentionDays?: number;
  /** Days each archive object is locked by S3 Object Lock, for tamper-evidence (a new bucket only). @default no Object Lock */
  readonly archiveObjectLockDays?: number;
  /** `GOVERNANCE` or `COMPLIANCE` (no one, root included, can delete a locked object early). @default 'GOVERNANCE' */
  readonly archiveObjectLockMode?: ObjectLockMode;
  /**
   * Seconds the archiver's event source gathers deliveries before writing them (1 to 300): longer
   * means fewer, larger objects (docs/archive.md, cost). @default 60
   */
  readonly archiveBatchWindowSeconds?: number;
}

/** An S3 bucket name, or the ARN of one. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const BUCKET_ARN = /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The archive's props from the pipeline's, as `DeliveryArchive` names them. */
function archiveProps(props: VoltWebhookPipelineProps) {
  return {
    ...(props.archivePrefix !== undefined ? { prefix: props.archivePrefix } : {}),
    ...(props.archiveRetentionDays !== undefined ? { retentionDays: props.archiveRetentionDays } : {}),
    ...(props.archiveObjectLockDays !== undefined ? { objectLockDays: props.archiveObjectLockDays } : {}),
    ...(props.archiveObjectLockMode !== undefined ? { objectLockMode: props.archiveObjectLockMode } : {}),
    ...(props.archiveBatchWindowSeconds !== undefined ? { batchWindowSeconds: props.archiveBatchWindowSeconds } : {}),
  };
}

const ARCHIVE_KEY_NAMES = {
  prefix: 'archivePrefix',
  retentionDays: 'archiveRetentionDays',
  objectLockDays: 'archiveObjectLockDays',
  objectLockMode: 'archiveObjectLockMode',
  batchWindowSeconds: 'archiveBatchWindowSeconds',
  bucket: 'archiveBucket',
};

/** An event bus name, or the ARN of one (EventBridge's character rules). */
const EVENT_BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;
const EVENT_BUS_ARN = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[/.\-_A-Za-z0-9]{1,256}$/;

/** The bus named by a name or an ARN. */
function importedBus(scope: Construct, given: string): events.IEventBus {
  return given.startsWith('arn:')
    ? events.EventBus.fromEventBusArn(scope, 'ImportedEventBus', given)
    : events.EventBus.fromEventBusName(scope, 'ImportedEventBus', given);
}

/** The bucket named by a name or an ARN. */
function importedBucket(scope: Construct, given: string): s3.IBucket {
  return given.startsWith('arn:')
    ? s3.Bucket.fromBucketArn(scope, 'ImportedArchiveBucket', given)
    : s3.Bucket.fromBucketName(scope, 'ImportedArchiveBucket', given);
}

// At least one letter or digit: the name is PascalCased into output and alarm ids.
const SUBSCRIBER_NAME = /^(?=.*[A-Za-z0-9])[A-Za-z0-9_-]{1,40}$/;

/** The pipeline's pinned keys as the ingest takes them: text, a JWK as its JSON. */
function keyTexts(keys: readonly PublicKeyConfig[]): string[] {
  return keys.map((k) => (typeof k === 'string' ? k.trim() : JSON.stringify(k)));
}

/** Names every `DurableQueue` in the pipeline, so that each one's dead-letter queue is watched. */
class WatchDeadLetterQueues implements IAspect {
  constructor(
    private readonly monitoring: PipelineMonitoring,
    private readonly names: ReadonlyMap<DurableQueue, string>,
  ) {}

  visit(node: IConstruct): void {
    if (node instanceof DurableQueue) {
      this.monitoring.watchDeadLetterQueue(this.names.get(node) ?? node.node.id, node.deadLetterQueue);
    }
  }
}

/**
 * Queue names the pipeline keeps for its own queues' roles (`.local/stack.json`'s `queueUrls`,
 * the CLI's `--queue`): the quarantine, the unpublished events (the archive's queue, while the
 * archive is on, is checked with the subscribers' names), and any `<name>Dlq`, the role of a
 * dead-letter queue, which a subscriber or rule named so would shadow.
 */
function reservedQueueNameProblem(name: string): string | undefined {
  const id = pascalCaseId(name).toLowerCase();
  if (id === 'quarantine' || id === 'unpublished')
    return `${shown(name)} is reserved: the pipeline has a queue of that name`;
  if (id.endsWith('dlq') && id.length > 3)
    return `${shown(name)} is reserved: a name ending in "Dlq" names a dead-letter queue`;
  return undefined;
}

/**
 * The whole Volt webhook pipeline as one construct: the HTTP ingest, the state queue and one
 * queue per subscriber (each with a DLQ). Add it to any CDK stack; `VoltWebhooksStack` is a thin user.
 */
export class VoltWebhookPipeline extends Construct {
  /** The HTTP API, its `POST /webhooks` route and the ingest function; `webhookUrl` is what Volt posts to. */
  public readonly ingest: WebhookIngest;
  /** Every verified event, for the consumer that keeps the messages table (with its DLQ). */
  public readonly stateQueue: DurableQueue;
  /** Subscriber queues by subscriber name, in configuration order. */
  public readonly subscriberQueues: ReadonlyMap<string, DurableQueue>;
  /** The messages table and the consumer that applies the state queue's events to it. */
  public readonly messageStore: MessageStore;
  /** A sample of the requests that failed verification, kept one day, read by no one but an operator. */
  public readonly quarantine: RejectedRequestQuarantine;
  /** The registration with Volt; absent when no `voltApiTokenSecret` is configured. */
  public readonly registration?: WebhookRegistration;
  /** Alarms on every DLQ, the state queue's age, ingest 5xx and 429s, signature rejections, the consumer and silence; their topic and a dashboard. */
  public readonly monitoring: PipelineMonitoring;
  /** Status events on EventBridge: the bus, its archive, the publisher, the configured rules and their queues, the schema. */
  public readonly events: MessageEvents;
  /** Every verified delivery in S3 (its queue, archiver, bucket and Glue table); absent with `archive: false`. */
  public readonly archive?: DeliveryArchive;

  /**
   * Every problem with these props, its parts' rules included, without creating anything: the
   * constructor checks them first, and `readAppConfig` reports them for the context keys.
   */
  static checkProps(props: VoltWebhookPipelineProps): readonly Problem[] {
    const problems = new Problems('VoltWebhookPipeline');
    const names = new Map<string, string>([['state', 'state']]);
    const archive = props.archive !== false;
    if (archive) names.set(ARCHIVE_TARGET_NAME, ARCHIVE_TARGET_NAME);
    for (const [i, s] of (props.subscribers ?? []).entries()) {
      const key = `subscribers[${i}]`;
      if (!SUBSCRIBER_NAME.test(s.name)) {
        problems.add(
          `${key}.name`,
          `${shown(s.name)} must be 1-40 letters, digits, "-" or "_", with a letter or digit among them`,
        );
      } else {
        // Names become construct, output and alarm ids: `crm-sync`, `crm_sync` and `CrmSync` are one name there.
        const id = pascalCaseId(s.name).toLowerCase();
        const earlier = names.get(id);
        const reserved = reservedQueueNameProblem(s.name);
        if (reserved !== undefined) {
          problems.add(`${key}.name`, reserved);
        } else if (earlier === 'state' && id === 'state') {
          problems.add(
            `${key}.name`,
            `${shown(s.name)} is reserved or used twice: "state" is the pipeline's own queue`,
          );
        } else if (archive && earlier === ARCHIVE_TARGET_NAME && id === ARCHIVE_TARGET_NAME) {
          problems.add(
            `${key}.name`,
            `${shown(s.name)} is reserved: "archive" is the delivery archive's queue (or deploy with archive=false)`,
          );
        } else if (earlier !== undefined) {
          problems.add(
            `${key}.name`,
            `${shown(s.name)} is reserved or used twice: it is ${shown(earlier)} once PascalCased (case, "-" and "_" do not count)`,
          );
        }
        names.set(id, s.name);
      }
      const eventTypes = eventTypesProblem(s.eventTypes, s.allowUnknownEventTypes);
      if (eventTypes !== undefined) problems.add(`${key}.eventTypes`, eventTypes);
    }
    // Rule queues sit beside the subscriber queues in outputs, alarms and `.local/stack.json`
    // (by role: a queue's name, and `<name>Dlq` for its DLQ), so no two may share a name there.
    const roles = new Map<string, string>([['quarantine', 'the quarantine queue']]);
    for (const name of names.values()) {
      const owner =
        name === 'state'
          ? "the pipeline's own queue"
          : archive && name === ARCHIVE_TARGET_NAME
            ? "the delivery archive's queue"
            : `the subscriber ${shown(name)}`;
      roles.set(pascalCaseId(name).toLowerCase(), owner);
      roles.set(`${pascalCaseId(name).toLowerCase()}dlq`, `the DLQ of ${owner}`);
    }
    for (const [i, rule] of (props.eventRules ?? []).entries()) {
      if (typeof rule.name !== 'string') continue;
      const id = pascalCaseId(rule.name).toLowerCase();
      const reserved = reservedQueueNameProblem(rule.name);
      if (reserved !== undefined) {
        problems.add(`eventRules[${i}].name`, reserved);
        continue;
      }
      const clash = [id, `${id}dlq`].map((role) => roles.get(role)).find((owner) => owner !== undefined);
      if (clash !== undefined && id !== '')
        problems.add(
          `eventRules[${i}].name`,
          `${shown(rule.name)} is taken by ${clash} once PascalCased: rule and queue names must differ`,
        );
    }
    if (props.eventBus !== undefined && !Token.isUnresolved(props.eventBus)) {
      if (!EVENT_BUS_NAME.test(props.eventBus) && !EVENT_BUS_ARN.test(props.eventBus))
        problems.add(
          'eventBus',
          `must be an event bus name (letters, digits, ".", "-", "_", "/") or its ARN (arn:aws:events:<region>:<account>:event-bus/<name>), got ${shown(props.eventBus)}`,
        );
    }
    problems.include(
      MessageEvents.checkProps({
        ...(props.eventRules !== undefined ? { rules: props.eventRules } : {}),
        ...(props.eventSource !== undefined ? { source: props.eventSource } : {}),
        ...(props.eventArchiveRetentionDays !== undefined
          ? { archiveRetentionDays: props.eventArchiveRetentionDays }
          : {}),
      }),
      { rules: 'eventRules', source: 'eventSource', archiveRetentionDays: 'eventArchiveRetentionDays' },
    );
    if (props.archiveBucket !== undefined && !Token.isUnresolved(props.archiveBucket)) {
      if (!BUCKET_NAME.test(props.archiveBucket) && !BUCKET_ARN.test(props.archiveBucket))
        problems.add(
          'archiveBucket',
          `must be an S3 bucket name (3-63 lower-case letters, digits, "." or "-") or its ARN (arn:aws:s3:::<name>), got ${shown(props.archiveBucket)}`,
        );
    }
    if (!archive) {
      for (const key of Object.values(ARCHIVE_KEY_NAMES))
        if (props[key as keyof VoltWebhookPipelineProps] !== undefined)
          problems.add(key, 'has no effect with archive=false: remove it, or turn the archive on');
    } else {
      problems.include(
        DeliveryArchive.checkProps({
          ...archiveProps(props),
          ...(props.archiveBucket !== undefined ? { bucket: props.archiveBucket } : {}),
        }),
        ARCHIVE_KEY_NAMES,
      );
    }
    if (props.voltPublicKeys !== undefined && props.voltPublicKeys.length === 0) {
      problems.add('voltPublicKeys', 'is empty; leave it out to fetch the key from voltPublicKeyUrl');
    }
    problems.include(
      WebhookIngest.checkProps({
        ...(props.voltPublicKeys ? { publicKeys: keyTexts(props.voltPublicKeys) } : {}),
        ...(props.voltPublicKeyUrl !== undefined ? { publicKeyUrl: props.voltPublicKeyUrl } : {}),
        ...(props.allowHttpKeyUrl !== undefined ? { allowHttpKeyUrl: props.allowHttpKeyUrl } : {}),
        ...(props.signatureScheme !== undefined ? { signatureScheme: props.signatureScheme } : {}),
        ...(props.maxBodyBytes !== undefined ? { maxBodyBytes: props.maxBodyBytes } : {}),
        ...(props.throttleRateLimit !== undefined ? { throttleRateLimit: props.throttleRateLimit } : {}),
        ...(props.throttleBurstLimit !== undefined ? { throttleBurstLimit: props.throttleBurstLimit } : {}),
        ...(props.quarantinePerMinute !== undefined ? { quarantinePerMinute: props.quarantinePerMinute } : {}),
      }),
      { publicKeys: 'voltPublicKeys', publicKeyUrl: 'voltPublicKeyUrl' },
    );
    problems.include(DurableQueue.checkProps({ maxReceiveCount: props.maxReceiveCount }));
    problems.include(MessageStore.checkProps({ messageRetentionDays: props.messageRetentionDays }));
    // Checked whether or not a token secret is given, so a URL is right before it is first used.
    problems.include(
      WebhookRegistration.checkProps({
        ...(props.voltApiUrl !== undefined ? { apiUrl: props.voltApiUrl } : {}),
        ...(props.voltApiTokenSecret !== undefined ? { apiTokenSecret: props.voltApiTokenSecret } : {}),
      }),
      { apiUrl: 'voltApiUrl', apiTokenSecret: 'voltApiTokenSecret' },
    );
    problems.include(
      PipelineMonitoring.checkProps({
        ...(props.alarmEmail !== undefined ? { alarmEmail: props.alarmEmail } : {}),
        ...(props.silenceAlarmHours !== undefined ? { silenceAlarmHours: props.silenceAlarmHours } : {}),
      }),
    );
    problems.include(VoltFunction.checkProps({ logLevel: props.logLevel }));
    return problems.all;
  }

  constructor(scope: Construct, id: string, props: VoltWebhookPipelineProps = {}) {
    super(scope, id);
    throwIfAny(VoltWebhookPipeline.checkProps(props));
    const publicKeys = props.voltPublicKeys ? keyTexts(props.voltPublicKeys) : undefined;
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    const logLevel = props.logLevel ?? 'INFO';

    this.stateQueue = new DurableQueue(this, 'StateQueue', {
      // At least 6x the consumer's timeout, as Lambda's SQS event source asks.
      visibilityTimeout: Duration.seconds(180),
      maxReceiveCount,
      role: STATE_QUEUE_ROLE,
    });
    if (props.archive !== false) {
      this.archive = new DeliveryArchive(this, 'DeliveryArchive', {
        ...archiveProps(props),
        maxReceiveCount,
        logLevel,
        ...(props.archiveBucket !== undefined ? { bucket: importedBucket(this, props.archiveBucket) } : {}),
      });
    }

    this.messageStore = new MessageStore(this, 'MessageStore', {
      stateQueue: this.stateQueue.queue,
      logLevel,
      // New and old images: the status events are read from the table's own changes.
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      ...(props.messageRetentionDays !== undefined ? { messageRetentionDays: props.messageRetentionDays } : {}),
      // The consumer forwards what it receives to the archive: the ingest sends to the state queue only.
      ...(this.archive ? { archiveQueue: this.archive.queue.queue } : {}),
    });
    const subscribers = new Map<string, DurableQueue>();
    for (const s of props.subscribers ?? []) {
      subscribers.set(s.name, new DurableQueue(this, `Subscriber-${s.name}`, { maxReceiveCount, role: s.name }));
    }
    this.subscriberQueues = subscribers;

    this.quarantine = new RejectedRequestQuarantine(this, 'Quarantine');
    this.ingest = new WebhookIngest(this, 'Ingest', {
      quarantine: this.quarantine,
      logLevel,
      ...(props.quarantinePerMinute !== undefined ? { quarantinePerMinute: props.quarantinePerMinute } : {}),
      targets: [
        new SqsIngestTarget({ name: 'state', queue: this.stateQueue.queue }),
        ...(props.subscribers ?? []).map(
          (s) =>
            new SqsIngestTarget({
              name: s.name,
              queue: subscribers.get(s.name)!.queue,
              ...(s.eventTypes ? { eventTypes: s.eventTypes } : {}),
              ...(s.allowUnknownEventTypes !== undefined ? { allowUnknownEventTypes: s.allowUnknownEventTypes } : {}),
            }),
        ),
      ],
      ...(publicKeys ? { publicKeys } : {}),
      ...(props.voltPublicKeyUrl ? { publicKeyUrl: props.voltPublicKeyUrl } : {}),
      ...(props.allowHttpKeyUrl !== undefined ? { allowHttpKeyUrl: props.allowHttpKeyUrl } : {}),
      ...(props.signatureScheme ? { signatureScheme: props.signatureScheme } : {}),
      ...(props.maxBodyBytes !== undefined ? { maxBodyBytes: props.maxBodyBytes } : {}),
      ...(props.throttleRateLimit !== undefined ? { throttleRateLimit: props.throttleRateLimit } : {}),
      ...(props.throttleBurstLimit !== undefined ? { throttleBurstLimit: props.throttleBurstLimit } : {}),
    });

    if (props.voltApiTokenSecret !== undefined) {
      this.registration = new WebhookRegistration(this, 'Registration', {
        api: this.ingest.api,
        webhookUrl: this.ingest.webhookUrl,
        apiTokenSecret: props.voltApiTokenSecret,
        logLevel,
        ...(props.voltApiUrl !== undefined ? { apiUrl: props.voltApiUrl } : {}),
        // The route, its integration and the invoke permission too: Volt's test request must reach the function.
        dependsOn: [this.ingest],
        ingestFunction: this.ingest.function,
      });
    } else {
      Annotations.of(this).addWarningV2(
        'volt-webhooks:registration-skipped',
        'No voltApiTokenSecret configured: the webhook URL is NOT registered with Volt. Register the WebhookUrl output yourself, ' +
          'or deploy with -c voltApiTokenSecret=<secret name or ARN holding the Volt API token>.',
      );
    }

    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      stateQueue: this.stateQueue.queue,
      api: this.ingest.api,
      ingestFunction: this.ingest.function,
      consumerFunction: this.messageStore.consumer,
      accessLogGroup: this.ingest.accessLogGroup,
      ...(props.alarmEmail !== undefined ? { alarmEmail: props.alarmEmail } : {}),
      ...(props.silenceAlarmHours !== undefined ? { silenceAlarmHours: props.silenceAlarmHours } : {}),
    });
    this.events = new MessageEvents(this, 'Events', {
      table: this.messageStore.table,
      logLevel,
      maxReceiveCount,
      ...(props.eventBus !== undefined ? { eventBus: importedBus(this, props.eventBus) } : {}),
      ...(props.eventSource !== undefined ? { source: props.eventSource } : {}),
      ...(props.eventArchiveRetentionDays !== undefined
        ? { archiveRetentionDays: props.eventArchiveRetentionDays }
        : {}),
      ...(props.eventRules !== undefined ? { rules: props.eventRules } : {}),
    });

    for (const alarm of this.events.alarms) this.monitoring.addAlarm(alarm);
    for (const alarm of this.archive?.alarms ?? []) this.monitoring.addAlarm(alarm);

    // Every DurableQueue in the pipeline, found when the app is synthesized: one added after this
    // constructor (a subscriber of your own) gets its dead-letter alarm too, named by its construct id.
    const queueNames = new Map<DurableQueue, string>([
      [this.stateQueue, 'state'],
      ...[...subscribers].map(([name, q]) => [q, name] as const),
      ...[...this.events.ruleQueues].map(([name, q]) => [q, name] as const),
      ...(this.archive ? [[this.archive.queue, ARCHIVE_TARGET_NAME] as const] : []),
    ]);
    Aspects.of(this).add(new WatchDeadLetterQueues(this.monitoring, queueNames), {
      priority: AspectPriority.MUTATING,
    });
  }
}
