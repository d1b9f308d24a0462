import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { markRole, QUARANTINE_QUEUE_ROLE } from '../template-contract';
import { Problems, throwIfAny, type Problem } from '../validation';

export interface RejectedRequestQuarantineProps {
  /** How long a quarantined request is kept. From 1 minute to 14 days. @default Duration.days(1) */
  readonly retentionPeriod?: Duration;
}

/**
 * A short-lived record of requests that failed verification, for an operator to inspect and
 * calibrate against. Deliberately a dead end: no consumer, no event source, no DLQ, and the
 * ingest function may only send to it, so unverified bytes can never reach a target queue.
 */
export class RejectedRequestQuarantine extends Construct {
  public readonly queue: sqs.Queue;

  /** Every problem with these props, without creating anything. */
  static checkProps(props: RejectedRequestQuarantineProps): readonly Problem[] {
    const problems = new Problems('RejectedRequestQuarantine');
    const seconds = props.retentionPeriod?.toSeconds();
    if (seconds !== undefined && (seconds < 60 || seconds > 14 * 24 * 3600)) {
      problems.add('retentionPeriod', `must be from 1 minute to 14 days (what SQS keeps), got ${seconds} s`);
    }
    return problems.all;
  }

  constructor(scope: Construct, id: string, props: RejectedRequestQuarantineProps = {}) {
    super(scope, id);
    throwIfAny(RejectedRequestQuarantine.checkProps(props));
    const retention = props.retentionPeriod ?? Duration.days(1);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    markRole(this.queue, QUARANTINE_QUEUE_ROLE);
    // On the queue resource itself, not the construct that also holds its TLS policy.
    Validations.of(this.queue.node.defaultChild as Construct).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'The quarantine is itself a dead end for rejected requests: nothing consumes it, so no message is ever received ' +
        'often enough to need a DLQ; its messages simply expire after the retention period.',
    });
  }

  /** Exactly sqs:SendMessage on this queue, nothing to read or delete. */
  grantSend(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }),
    );
  }
}
