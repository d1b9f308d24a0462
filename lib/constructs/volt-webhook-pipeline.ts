import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { parsePublicKey } from '../../lambda/shared/keys';
import { parseScheme } from '../../lambda/shared/signature';
import { DurableQueue } from './durable-queue';
import { WebhookIngest } from './webhook-ingest';

/** One consumer system's queue, fed with the events it asks for. */
export interface SubscriberConfig {
  /** Letters, digits, `-` and `_`; unique; used in output names. Not `state`. */
  readonly name: string;
  /** Only these `event_type`s (e.g. `message.received`); all when absent. */
  readonly eventTypes?: readonly string[];
}

/** A public key as configured: an `ssh-rsa` line, a PEM block, or a JWK object. */
export type PublicKeyConfig = string | Record<string, unknown>;

export interface VoltWebhookPipelineProps {
  /** Keys to trust, pinned (several for rotation). When absent, keys are fetched from `voltPublicKeyUrl`. */
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
    if (lower === 'state' || names.has(lower)) throw new Error(`subscribers[${i}].name "${s.name}" is reserved or used twice`);
    names.add(lower);
    if (s.eventTypes !== undefined && (s.eventTypes.length === 0 || s.eventTypes.some((e) => typeof e !== 'string' || e === ''))) {
      throw new Error(`subscribers[${i}].eventTypes must be a non-empty list of event type names, or left out for all events`);
    }
  }
  if (props.signatureScheme !== undefined) parseScheme(props.signatureScheme);
  if (props.voltPublicKeyUrl !== undefined && !/^https?:\/\//.test(props.voltPublicKeyUrl)) {
    throw new Error(`voltPublicKeyUrl "${props.voltPublicKeyUrl}" must be an http(s) URL`);
  }
  if (props.voltPublicKeys === undefined) return {};
  if (props.voltPublicKeys.length === 0) throw new Error('voltPublicKeys is empty; leave it out to fetch the key from voltPublicKeyUrl');
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
  public readonly ingest: WebhookIngest;
  public readonly stateQueue: DurableQueue;
  /** Subscriber queues by subscriber name, in configuration order. */
  public readonly subscriberQueues: ReadonlyMap<string, DurableQueue>;

  constructor(scope: Construct, id: string, props: VoltWebhookPipelineProps = {}) {
    super(scope, id);
    const { publicKeys } = validate(props);
    const maxReceiveCount = props.maxReceiveCount ?? 5;

    this.stateQueue = new DurableQueue(this, 'StateQueue', {
      // At least 6x the consumer's timeout, as Lambda's SQS event source asks.
      visibilityTimeout: Duration.seconds(180),
      maxReceiveCount,
    });
    const subscribers = new Map<string, DurableQueue>();
    for (const s of props.subscribers ?? []) {
      subscribers.set(s.name, new DurableQueue(this, `Subscriber-${s.name}`, { maxReceiveCount }));
    }
    this.subscriberQueues = subscribers;

    this.ingest = new WebhookIngest(this, 'Ingest', {
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
    });
  }
}
