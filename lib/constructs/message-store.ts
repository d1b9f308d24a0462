import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CONSUMER_ENV } from '../../lambda/consumer/config';
import {
  CONTACT_INDEX,
  EXPIRES_AT_ATTRIBUTE,
  FAILED_INDEX,
  INDEX_PROJECTED_ATTRIBUTES,
  MESSAGE_ID_ATTRIBUTE,
} from '../../lambda/common/message-table';
import { markRole, MESSAGES_TABLE_ROLE } from '../template-contract';
import { VoltFunction, type LogLevel } from './volt-function';
import { checkWholeNumber, Problems, type Problem } from '../validation';

export interface MessageStoreProps {
  /** The queue of verified webhook events the consumer reads (the pipeline's state queue). */
  readonly stateQueue: sqs.IQueue;
  /** Days an item is kept after its last event (DynamoDB TTL on `expiresAt`). @default kept forever */
  readonly messageRetentionDays?: number;
  /** What happens to the table when it leaves the stack. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Records per consumer invocation. @default 25 */
  readonly batchSize?: number;
  /** How long the event source gathers records before invoking. @default Duration.seconds(1) */
  readonly maxBatchingWindow?: Duration;
  /** The consumer's timeout; the state queue's visibility timeout must be at least 6x it. @default Duration.seconds(30) */
  readonly consumerTimeout?: Duration;
  /** Most concurrent consumer invocations (2 to 1000). @default no limit beyond the account's */
  readonly maxConcurrency?: number;
  /** The consumer's application log level. @default 'INFO' */
  readonly logLevel?: LogLevel;
  /**
   * The table's stream, for readers of its changes (`MessageEvents` needs new and old images).
   * @default no stream
   */
  readonly stream?: dynamodb.StreamViewType;
  /**
   * The delivery archive's queue: the consumer forwards every delivery it receives to it, body
   * and attributes unchanged, in SendMessageBatch calls of up to 10, except the ones `replay`
   * sent (docs/archive.md). A record whose forward failed is retried like one whose write failed.
   * @default no forward
   */
  readonly archiveQueue?: sqs.IQueue;
}

/** Longest retention accepted: beyond this a TTL is pointless and likely a typo. */
const MAX_RETENTION_DAYS = 36_500;

/** Lambda's SQS event source asks for a visibility timeout of at least six times the function timeout. */
function checkVisibilityTimeout(problems: Problems, queue: sqs.IQueue, timeout: Duration): void {
  if (!(queue instanceof sqs.Queue)) return; // an imported queue's settings are not known here
  const visibility = (queue.node.defaultChild as sqs.CfnQueue).visibilityTimeout;
  const seconds = visibility ?? 30;
  if (Token.isUnresolved(seconds)) return;
  if (seconds < 6 * timeout.toSeconds()) {
    problems.add(
      'stateQueue',
      `visibility timeout (${seconds} s) must be at least 6x the consumer timeout (${timeout.toSeconds()} s)`,
    );
  }
}

/**
 * The messages table and the consumer that keeps it: every verified event on the state queue
 * is applied to its message's item by conditional writes (see `lambda/consumer/state-rules.ts`),
 * and, given an `archiveQueue`, forwarded to the delivery archive.
 * The table has PITR and KMS encryption and is retained on stack deletion by default; two
 * sparse indexes answer "messages with this contact" and "failed messages", both by time.
 */
export class MessageStore extends Construct {
  public readonly table: dynamodb.Table;
  public readonly consumer: VoltFunction;
  public readonly eventSource: SqsEventSource;

  /** Every problem with these props that needs no state queue to tell, without creating anything. */
  static checkProps(props: Partial<MessageStoreProps>): readonly Problem[] {
    const problems = new Problems('MessageStore');
    checkWholeNumber(problems, 'messageRetentionDays', props.messageRetentionDays, 1, MAX_RETENTION_DAYS);
    checkWholeNumber(
      problems,
      'batchSize',
      props.batchSize,
      1,
      100,
      ' (a batch must finish within the consumer timeout)',
    );
    const batchSize = props.batchSize ?? 25;
    const window = props.maxBatchingWindow?.toSeconds();
    if (window !== undefined && (window > 300 || (batchSize > 10 && window < 1))) {
      problems.add(
        'maxBatchingWindow',
        `must be at most 300 s, and at least 1 s when batchSize is over 10, got ${window} s`,
      );
    }
    const timeout = props.consumerTimeout?.toSeconds();
    if (timeout !== undefined && (timeout < 3 || timeout > 30)) {
      problems.add(
        'consumerTimeout',
        `must be 3 to 30 s (the state queue's visibility timeout is sized for a 30 s consumer), got ${timeout} s`,
      );
    }
    checkWholeNumber(problems, 'maxConcurrency', props.maxConcurrency, 2, 1000);
    problems.include(VoltFunction.checkProps({ logLevel: props.logLevel }));
    return problems.all;
  }

  constructor(scope: Construct, id: string, props: MessageStoreProps) {
    super(scope, id);
    const problems = new Problems('MessageStore');
    problems.include(MessageStore.checkProps(props));
    const consumerTimeout = props.consumerTimeout ?? Duration.seconds(30);
    checkVisibilityTimeout(problems, props.stateQueue, consumerTimeout);
    problems.throwIfAny();

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: MESSAGE_ID_ATTRIBUTE, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      ...(props.stream !== undefined ? { stream: props.stream } : {}),
      ...(props.messageRetentionDays !== undefined ? { timeToLiveAttribute: EXPIRES_AT_ATTRIBUTE } : {}),
    });
    markRole(this.table, MESSAGES_TABLE_ROLE);
    for (const index of [CONTACT_INDEX, FAILED_INDEX]) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.INCLUDE,
        nonKeyAttributes: [...INDEX_PROJECTED_ATTRIBUTES],
      });
    }

    this.consumer = new VoltFunction(this, 'Consumer', {
      functionDir: 'consumer',
      description: 'Applies verified Volt webhook events to the messages table',
      timeout: consumerTimeout,
      ...(props.logLevel !== undefined ? { logLevel: props.logLevel } : {}),
      ...(props.messageRetentionDays !== undefined
        ? { environment: { [CONSUMER_ENV.retentionDays]: String(props.messageRetentionDays) } }
        : {}),
    });
    this.bindTable();
    if (props.archiveQueue) this.bindArchiveQueue(props.archiveQueue);

    this.eventSource = new SqsEventSource(props.stateQueue, {
      batchSize: props.batchSize ?? 25,
      maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(1),
      reportBatchItemFailures: true,
      ...(props.maxConcurrency !== undefined ? { maxConcurrency: props.maxConcurrency } : {}),
    });
    this.consumer.addEventSource(this.eventSource);
  }

  /** The archive queue's URL in the environment, with the one action the forward needs on it (and its key, if it has one). */
  private bindArchiveQueue(queue: sqs.IQueue): void {
    this.consumer.addEnvironment(CONSUMER_ENV.archiveQueueUrl, queue.queueUrl);
    this.consumer.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
    );
    // A queue encrypted with a customer managed key: SendMessage needs the key's data keys.
    queue.encryptionMasterKey?.grant(this.consumer, 'kms:GenerateDataKey', 'kms:Decrypt');
  }

  /** Pairs the table name in the environment with the one action the consumer needs: UpdateItem on this table (not its indexes). */
  private bindTable(): void {
    this.consumer.addEnvironment(CONSUMER_ENV.tableName, this.table.tableName);
    this.consumer.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [this.table.tableArn] }),
    );
  }
}
