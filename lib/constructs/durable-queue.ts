import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterRole, markRole } from '../template-contract';
import { checkWholeNumber, Problems, throwIfAny, type Problem } from '../validation';

export interface DurableQueueProps {
  /** How long a received message stays invisible. At least 6x the timeout of a function that consumes it. @default Duration.seconds(30) */
  readonly visibilityTimeout?: Duration;
  /** Receives before a message moves to the DLQ. @default 5 */
  readonly maxReceiveCount?: number;
  /** How long an unconsumed message is kept. @default Duration.days(4) */
  readonly retentionPeriod?: Duration;
  /**
   * The queue's role in the pipeline (`state`, a subscriber's name), marked on the queue as
   * template metadata, and `<role>Dlq` on its DLQ (see `lib/template-contract.ts`).
   * @default not marked
   */
  readonly role?: string;
}

/**
 * A standard SQS queue with its dead-letter queue, secure by default: SSE-SQS encryption,
 * a policy that denies any request not made over TLS, and a DLQ that keeps messages for the
 * 14-day maximum so nothing is lost while an operator looks at it.
 */
export class DurableQueue extends Construct {
  /** The queue to send to and consume from. */
  public readonly queue: sqs.Queue;
  /** Where a message goes after `maxReceiveCount` receives without being deleted; kept 14 days. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Receives before a message moves to the dead-letter queue. */
  public readonly maxReceiveCount: number;

  /** Every problem with these props, without creating anything. */
  static checkProps(props: DurableQueueProps): readonly Problem[] {
    const problems = new Problems('DurableQueue');
    checkWholeNumber(problems, 'maxReceiveCount', props.maxReceiveCount, 1, 1000);
    return problems.all;
  }

  constructor(scope: Construct, id: string, props: DurableQueueProps = {}) {
    super(scope, id);
    throwIfAny(DurableQueue.checkProps(props));
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    this.maxReceiveCount = maxReceiveCount;
    this.deadLetterQueue = new sqs.Queue(this, 'Dlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout ?? Duration.seconds(30),
      retentionPeriod: props.retentionPeriod ?? Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    if (props.role !== undefined) {
      markRole(this.queue, props.role);
      markRole(this.deadLetterQueue, deadLetterRole(props.role));
    }
  }
}
