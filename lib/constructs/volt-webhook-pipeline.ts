import { STATE_QUEUE_ROLE } from '../template-contract';
import { Annotations, AspectPriority, Aspects, Duration, type IAspect } from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';
import { pascalCaseId } from '../stack-outputs';
import { Problems, shown, throwIfAny, type Problem } from '../validation';
import { DurableQueue } from './durable-queue';
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

  /**
   * Every problem with these props, its parts' rules included, without creating anything: the
   * constructor checks them first, and `readAppConfig` reports them for the context keys.
   */
  static checkProps(props: VoltWebhookPipelineProps): readonly Problem[] {
    const problems = new Problems('VoltWebhookPipeline');
    const names = new Map<string, string>([['state', 'state']]);
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
        if (earlier === 'state' && id === 'state') {
          problems.add(
            `${key}.name`,
            `${shown(s.name)} is reserved or used twice: "state" is the pipeline's own queue`,
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
    this.messageStore = new MessageStore(this, 'MessageStore', {
      stateQueue: this.stateQueue.queue,
      logLevel,
      ...(props.messageRetentionDays !== undefined ? { messageRetentionDays: props.messageRetentionDays } : {}),
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
    // Every DurableQueue in the pipeline, found when the app is synthesized: one added after this
    // constructor (a subscriber of your own) gets its dead-letter alarm too, named by its construct id.
    const queueNames = new Map<DurableQueue, string>([
      [this.stateQueue, 'state'],
      ...[...subscribers].map(([name, q]) => [q, name] as const),
    ]);
    Aspects.of(this).add(new WatchDeadLetterQueues(this.monitoring, queueNames), {
      priority: AspectPriority.MUTATING,
    });
  }
}
