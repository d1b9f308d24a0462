import { Annotations, Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { parsePublicKey } from '../../lambda/common/keys';
import { parseScheme } from '../../lambda/common/signature';
import { DurableQueue } from './durable-queue';
import { MessageStore } from './message-store';
import { PipelineMonitoring } from './monitoring';
import { RejectedRequestQuarantine } from './quarantine';
import { VoltFunction } from './volt-function';
import { WebhookIngest } from './webhook-ingest';
import { WebhookRegistration } from './webhook-registration';

/** One consumer system's queue, fed with the events it asks for. */
export interface SubscriberConfig {
  /** Letters, digits, `-` and `_`; unique; used in output names. Not `state`. */
  readonly name: string;
  /** Only these `event_type`s (e.g. `message.received`). @default every event type */
  readonly eventTypes?: readonly string[];
}

/** The application log levels Lambda's logging controls accept and the functions use. */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A public key as configured: an `ssh-rsa` line, a PEM block, or a JWK object. */
export type PublicKeyConfig = string | Record<string, unknown>;

export interface VoltWebhookPipelineProps {
  /** Keys to trust, pinned (several for rotation). @default none: the key is fetched from `voltPublicKeyUrl` */
  readonly voltPublicKeys?: readonly PublicKeyConfig[];
  /** Where Volt's public key is served. @default 'https://callbacks.respondflow.com/id_rsa.pub' */
  readonly voltPublicKeyUrl?: string;
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
  /** Steady-state requests per second the webhook URL accepts; more are answered 429 and Volt retries. @default 100 */
  readonly throttleRateLimit?: number;
  /** Requests the webhook URL accepts at once above the steady rate. @default 200 */
  readonly throttleBurstLimit?: number;
  /** At most this many rejected requests quarantined per ingest instance and minute; 0 keeps none. @default 10 */
  readonly quarantinePerMinute?: number;
  /**
   * The functions' application log level (Lambda's logging controls, `AWS_LAMBDA_LOG_LEVEL`,
   * which Powertools Logger follows). At INFO an accepted webhook writes no line; DEBUG adds one
   * per accepted event. @default 'INFO'
   */
  readonly logLevel?: LogLevel;
}

const SUBSCRIBER_NAME = /^[A-Za-z0-9_-]{1,40}$/;

/** Validates props up front so a mistake fails `cdk synth` with a message that names it. */
function validate(props: VoltWebhookPipelineProps): { publicKeys?: string[] } {
  const names = new Set<string>();
  for (const [i, s] of (props.subscribers ?? []).entries()) {
    if (!SUBSCRIBER_NAME.test(s.name)) {
      throw new Error(`subscribers[${i}].name "${s.name}" must be 1-40 letters, digits, "-" or "_"`);
    }
    const lower = s.name.toLowerCase();
    if (lower === 'state' || names.has(lower))
      throw new Error(`subscribers[${i}].name "${s.name}" is reserved or used twice`);
    names.add(lower);
    if (
      s.eventTypes !== undefined &&
      (s.eventTypes.length === 0 || s.eventTypes.some((e) => typeof e !== 'string' || e === ''))
    ) {
      throw new Error(
        `subscribers[${i}].eventTypes must be a non-empty list of event type names, or left out for all events`,
      );
    }
  }
  if (props.signatureScheme !== undefined) parseScheme(props.signatureScheme);
  if (props.logLevel !== undefined && !LOG_LEVELS.includes(props.logLevel)) {
    throw new Error(`logLevel "${String(props.logLevel)}" must be one of ${LOG_LEVELS.join(', ')}`);
  }
  if (
    props.quarantinePerMinute !== undefined &&
    (!Number.isInteger(props.quarantinePerMinute) || props.quarantinePerMinute < 0)
  ) {
    throw new Error(`quarantinePerMinute ${props.quarantinePerMinute} must be a whole number, 0 or more`);
  }
  if (props.voltPublicKeyUrl !== undefined && !/^https?:\/\//.test(props.voltPublicKeyUrl)) {
    throw new Error(`voltPublicKeyUrl "${props.voltPublicKeyUrl}" must be an http(s) URL`);
  }
  if (props.voltApiUrl !== undefined && !/^https?:\/\//.test(props.voltApiUrl)) {
    throw new Error(`voltApiUrl "${props.voltApiUrl}" must be an http(s) URL`);
  }
  if (props.voltApiTokenSecret !== undefined && props.voltApiTokenSecret.trim() === '') {
    throw new Error(
      'voltApiTokenSecret is empty; give the name or ARN of the secret holding the Volt API token, or leave it out',
    );
  }
  if (props.voltPublicKeys === undefined) return {};
  if (props.voltPublicKeys.length === 0)
    throw new Error('voltPublicKeys is empty; leave it out to fetch the key from voltPublicKeyUrl');
  return {
    publicKeys: props.voltPublicKeys.map((k, i) => {
      parsePublicKey(k, `voltPublicKeys[${i}]`);
      return typeof k === 'string' ? k.trim() : JSON.stringify(k);
    }),
  };
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
  /** Alarms on every DLQ, the state queue's age, ingest 5xx, signature rejections and the consumer; their topic and a dashboard. */
  public readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: VoltWebhookPipelineProps = {}) {
    super(scope, id);
    const { publicKeys } = validate(props);
    const maxReceiveCount = props.maxReceiveCount ?? 5;

    this.stateQueue = new DurableQueue(this, 'StateQueue', {
      // At least 6x the consumer's timeout, as Lambda's SQS event source asks.
      visibilityTimeout: Duration.seconds(180),
      maxReceiveCount,
    });
    this.messageStore = new MessageStore(this, 'MessageStore', {
      stateQueue: this.stateQueue.queue,
      ...(props.messageRetentionDays !== undefined ? { messageRetentionDays: props.messageRetentionDays } : {}),
    });
    const subscribers = new Map<string, DurableQueue>();
    for (const s of props.subscribers ?? []) {
      subscribers.set(s.name, new DurableQueue(this, `Subscriber-${s.name}`, { maxReceiveCount }));
    }
    this.subscriberQueues = subscribers;

    this.quarantine = new RejectedRequestQuarantine(this, 'Quarantine');
    this.ingest = new WebhookIngest(this, 'Ingest', {
      quarantine: this.quarantine,
      ...(props.quarantinePerMinute !== undefined ? { quarantinePerMinute: props.quarantinePerMinute } : {}),
      targets: [
        { name: 'state', queue: this.stateQueue.queue },
        ...(props.subscribers ?? []).map((s) => ({
          name: s.name,
          queue: subscribers.get(s.name)!.queue,
          ...(s.eventTypes ? { eventTypes: s.eventTypes } : {}),
        })),
      ],
      ...(publicKeys ? { publicKeys } : {}),
      ...(props.voltPublicKeyUrl ? { publicKeyUrl: props.voltPublicKeyUrl } : {}),
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
        ...(props.voltApiUrl !== undefined ? { apiUrl: props.voltApiUrl } : {}),
        // The route, its integration and the invoke permission too: Volt's test request must reach the function.
        dependsOn: [this.ingest],
      });
    } else {
      Annotations.of(this).addWarningV2(
        'volt-webhooks:registration-skipped',
        'No voltApiTokenSecret configured: the webhook URL is NOT registered with Volt. Register the WebhookUrl output yourself, ' +
          'or deploy with -c voltApiTokenSecret=<secret name or ARN holding the Volt API token>.',
      );
    }

    // Every function of the pipeline, found in the tree like the queues below, so none is missed.
    const logLevel = props.logLevel ?? 'INFO';
    for (const fn of this.node.findAll().filter((c): c is VoltFunction => c instanceof VoltFunction)) {
      (fn.node.defaultChild as lambda.CfnFunction).addPropertyOverride('LoggingConfig.ApplicationLogLevel', logLevel);
    }

    const queueNames = new Map<DurableQueue, string>([
      [this.stateQueue, 'state'],
      ...[...subscribers].map(([name, q]) => [q, name] as const),
    ]);
    // Found in the tree rather than listed, so a queue added to the pipeline later cannot go unwatched.
    const deadLetterQueues = this.node
      .findAll()
      .filter((c): c is DurableQueue => c instanceof DurableQueue)
      .map((q) => ({ name: queueNames.get(q) ?? q.node.id, queue: q.deadLetterQueue }));
    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      deadLetterQueues,
      stateQueue: this.stateQueue.queue,
      api: this.ingest.api,
      ingestFunction: this.ingest.function,
      consumerFunction: this.messageStore.consumer,
      ...(props.alarmEmail !== undefined ? { alarmEmail: props.alarmEmail } : {}),
    });
  }
}
