import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { SQS_TARGETS_ENV, type SqsTargetEntry } from '../../../lambda/ingest/targets/sqs';
import type { IIngestTarget, IngestTargetBinding } from './ingest-target';

export interface SqsIngestTargetProps {
  /** `state`, or a subscriber's name. */
  readonly name: string;
  /** The queue; the ingest function is granted `sqs:SendMessage` on it. */
  readonly queue: sqs.IQueue;
  /** Only these `event_type`s are sent. @default every event type */
  readonly eventTypes?: readonly string[];
  /** Accept `eventTypes` Volt is not known to send. @default false */
  readonly allowUnknownEventTypes?: boolean;
}

/** An SQS queue as a delivery target: an entry in `TARGET_QUEUES`, and `sqs:SendMessage` on that queue only. */
export class SqsIngestTarget implements IIngestTarget {
  public readonly name: string;
  public readonly queue: sqs.IQueue;
  public readonly eventTypes?: readonly string[];
  public readonly allowUnknownEventTypes?: boolean;

  constructor(props: SqsIngestTargetProps) {
    this.name = props.name;
    this.queue = props.queue;
    if (props.eventTypes !== undefined) this.eventTypes = props.eventTypes;
    if (props.allowUnknownEventTypes !== undefined) this.allowUnknownEventTypes = props.allowUnknownEventTypes;
  }

  bind(binding: IngestTargetBinding): void {
    const entry: SqsTargetEntry = {
      name: this.name,
      queueUrl: this.queue.queueUrl,
      ...(this.eventTypes ? { eventTypes: this.eventTypes } : {}),
    };
    binding.addEntry(SQS_TARGETS_ENV, entry);
    binding.allow(['sqs:SendMessage'], this.queue.queueArn);
  }
}
