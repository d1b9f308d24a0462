import { Aws, Duration, RemovalPolicy, Stack, Token, Validations, type CfnElement } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ARCHIVE_RECORD_FIELDS, DEFAULT_ARCHIVE_PREFIX } from '../../lambda/common/archive-record';
import { ARCHIVER_ENV } from '../../lambda/archiver/config';
import { ARCHIVE_BUCKET_ROLE, ARCHIVE_QUEUE_ROLE, markRole } from '../template-contract';
import { checkWholeNumber, Problems, shown, throwIfAny, type Problem } from '../validation';
import { DurableQueue } from './durable-queue';
import { VoltFunction, type LogLevel } from './volt-function';

/** S3 Object Lock modes: governance (users with a special permission may still delete) or compliance (no one may). */
export const OBJECT_LOCK_MODES = ['GOVERNANCE', 'COMPLIANCE'] as const;
export type ObjectLockMode = (typeof OBJECT_LOCK_MODES)[number];

/**
 * The archive queue's name among the pipeline's queues (its outputs, alarms, `redrive --queue`,
 * `replay --to`): no subscriber may take it. The archive queue is no ingest target: the consumer
 * forwards to it.
 */
export const ARCHIVE_TARGET_NAME = 'archive';

/** The first hour Athena's partition projection lists (queries with no `dt` bound scan from here). */
export const ARCHIVE_PROJECTION_START = '2026/01/01/00';

export interface DeliveryArchiveProps {
  /**
   * An existing bucket to write the archive to, instead of a new one. Its settings are yours:
   * `retentionDays` and `objectLockDays` apply only to a bucket the construct creates.
   * @default a new bucket, encrypted, SSL-only, versioned, private, with access logs
   */
  readonly bucket?: s3.IBucket;
  /** Key prefix of the archive objects: ends with `/`, no leading `/`. @default 'deliveries/' */
  readonly prefix?: string;
  /** Days an archive object is kept (S3 lifecycle, noncurrent versions too). @default kept forever */
  readonly retentionDays?: number;
  /**
   * Days each archive object is locked by S3 Object Lock (WORM: no one can overwrite or delete
   * it before), for tamper-evidence. Object Lock can only be set when the bucket is created.
   * @default no Object Lock
   */
  readonly objectLockDays?: number;
  /** The Object Lock mode. @default 'GOVERNANCE' */
  readonly objectLockMode?: ObjectLockMode;
  /** Receives before an archive-queue message moves to its dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
  /** Messages per archiver invocation (10 to 10,000; Lambda also stops at 6 MB). @default 10000 */
  readonly batchSize?: number;
  /** Seconds the event source gathers messages before invoking the archiver (1 to 300). @default 60 */
  readonly batchWindowSeconds?: number;
  /** Minutes the oldest archive-queue message may wait before the archive-delayed alarm fires. @default 30 */
  readonly maxArchiveDelayMinutes?: number;
  /** Name of the Glue database holding the archive's table: lower-case letters, digits, `_`. @default '<stack name>_archive' */
  readonly glueDatabaseName?: string;
  /** The archiver's application log level. @default 'INFO' */
  readonly logLevel?: LogLevel;
}

const GLUE_NAME = /^[a-z0-9_]{1,255}$/;

function prefixProblem(prefix: string): string | undefined {
  if (Token.isUnresolved(prefix)) return undefined;
  if (prefix === '' || !prefix.endsWith('/') || prefix.startsWith('/'))
    return `must end with "/" and not start with one, e.g. "deliveries/", got ${shown(prefix)}`;
  // The key adds yyyy/mm/dd/hh/ and a 32-character name: S3's 1,024-byte limit with room to spare.
  if (Buffer.byteLength(prefix, 'utf8') > 512) return `must be at most 512 bytes, got ${Buffer.byteLength(prefix)}`;
  return undefined;
}

/** A Glue name from the stack's name: lower-case, `_` for anything else. */
function glueNameOf(stackName: string): string {
  return `${stackName.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_archive`.slice(0, 255);
}

/**
 * Every verified delivery, kept byte for byte with its signature in S3 (docs/archive.md).
 *
 * The ingest sends each verified event to the state queue only; the consumer that reads that
 * queue forwards every delivery it receives to the archive queue, body and attributes unchanged,
 * in SendMessageBatch calls of up to 10 (`MessageStore`'s `archiveQueue`), so archiving costs the
 * latency-bound ingest nothing and an accepted delivery reaches the archive once the consumer
 * has read it (a forward that failed is retried with the record). The archiver drains the queue in large batches
 * (`batchSize`, `batchWindowSeconds`) into one gzipped NDJSON object per receive hour under
 * `<prefix>yyyy/mm/dd/hh/`; an object S3 did not store fails its messages alone, which SQS
 * delivers again and, after `maxReceiveCount`, keeps in the dead-letter queue (alarmed). A Glue
 * table with partition projection makes the archive queryable from Athena with no crawler.
 */
export class DeliveryArchive extends Construct {
  /** Where the archive objects are. */
  public readonly bucket: s3.IBucket;
  /** Where S3 writes the archive bucket's access logs; absent for a bucket passed in. */
  public readonly accessLogsBucket?: s3.Bucket;
  /** The key prefix of the archive objects. */
  public readonly prefix: string;
  /** The queue the consumer forwards every delivery it receives to (with its dead-letter queue). */
  public readonly queue: DurableQueue;
  /** Writes the queue's batches to the bucket. */
  public readonly archiver: VoltFunction;
  /** The Glue database of the archive's table. */
  public readonly database: glue.CfnDatabase;
  /** The archive as an Athena table (`dt` partitions projected, hourly). */
  public readonly table: glue.CfnTable;
  /** The Glue database's name. */
  public readonly databaseName: string;
  /** The table's name. */
  public readonly tableName: string;
  /** Deliveries waiting too long to be archived. Notifies no one by itself: `VoltWebhookPipeline` adds it to its monitoring. */
  public readonly alarms: readonly cloudwatch.Alarm[];

  /** Every problem with these props, without creating anything. */
  static checkProps(props: Omit<DeliveryArchiveProps, 'bucket'> & { readonly bucket?: unknown }): readonly Problem[] {
    const problems = new Problems('DeliveryArchive');
    if (props.prefix !== undefined) {
      const problem = prefixProblem(props.prefix);
      if (problem !== undefined) problems.add('prefix', problem);
    }
    checkWholeNumber(problems, 'retentionDays', props.retentionDays, 1, 36_500);
    checkWholeNumber(problems, 'objectLockDays', props.objectLockDays, 1, 36_500);
    checkWholeNumber(problems, 'batchSize', props.batchSize, 10, 10_000);
    checkWholeNumber(problems, 'batchWindowSeconds', props.batchWindowSeconds, 1, 300);
    checkWholeNumber(problems, 'maxArchiveDelayMinutes', props.maxArchiveDelayMinutes, 5, 1440);
    checkWholeNumber(problems, 'maxReceiveCount', props.maxReceiveCount, 1, 1000);
    if (props.objectLockMode !== undefined && !(OBJECT_LOCK_MODES as readonly string[]).includes(props.objectLockMode))
      problems.add(
        'objectLockMode',
        `must be one of ${OBJECT_LOCK_MODES.join(', ')}, got ${shown(props.objectLockMode)}`,
      );
    if (props.objectLockMode !== undefined && props.objectLockDays === undefined)
      problems.add('objectLockMode', 'needs objectLockDays, the days each object stays locked');
    if (
      props.retentionDays !== undefined &&
      props.objectLockDays !== undefined &&
      props.objectLockDays > props.retentionDays
    )
      problems.add(
        'objectLockDays',
        `is longer than retentionDays (${props.objectLockDays} > ${props.retentionDays}): the lifecycle could not delete a locked object`,
      );
    if (props.bucket !== undefined) {
      for (const key of ['retentionDays', 'objectLockDays', 'objectLockMode'] as const)
        if (props[key] !== undefined)
          problems.add(
            key,
            'applies only to a bucket the stack creates: set it on your bucket (a bucket was passed in)',
          );
    }
    if (props.glueDatabaseName !== undefined && !GLUE_NAME.test(props.glueDatabaseName))
      problems.add(
        'glueDatabaseName',
        `must be 1-255 lower-case letters, digits or "_", got ${shown(props.glueDatabaseName)}`,
      );
    return problems.all;
  }

  constructor(scope: Construct, id: string, props: DeliveryArchiveProps = {}) {
    super(scope, id);
    throwIfAny(DeliveryArchive.checkProps(props));
    this.prefix = props.prefix ?? DEFAULT_ARCHIVE_PREFIX;
    if (props.bucket) {
      this.bucket = props.bucket;
    } else {
      const { bucket, logs } = this.createBucket(props);
      this.bucket = bucket;
      this.accessLogsBucket = logs;
    }

    const timeout = Duration.seconds(60);
    const windowSeconds = props.batchWindowSeconds ?? 60;
    this.queue = new DurableQueue(this, 'Queue', {
      // Lambda's advice for an SQS source: 6x the function's timeout plus the batching window.
      visibilityTimeout: Duration.seconds(6 * timeout.toSeconds() + windowSeconds),
      // The longest SQS keeps a message: an S3 outage of days still loses nothing.
      retentionPeriod: Duration.days(14),
      role: ARCHIVE_QUEUE_ROLE,
      ...(props.maxReceiveCount !== undefined ? { maxReceiveCount: props.maxReceiveCount } : {}),
    });

    this.archiver = new VoltFunction(this, 'Archiver', {
      functionDir: 'archiver',
      description: 'Writes the verified deliveries of the archive queue to S3 as gzipped NDJSON, one object per hour',
      timeout,
      // A 6 MB batch is gzipped in memory; more memory is also more CPU for the gzip.
      memorySize: 512,
      ...(props.logLevel !== undefined ? { logLevel: props.logLevel } : {}),
    });
    this.archiver.addEnvironment(ARCHIVER_ENV.bucket, this.bucket.bucketName);
    this.archiver.addEnvironment(ARCHIVER_ENV.prefix, this.prefix);
    // Writing under the prefix only: it never reads, lists or deletes.
    this.archiver.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${this.prefix}*`)],
      }),
    );
    this.bucket.encryptionKey?.grantEncrypt(this.archiver);
    if (this.archiver.role) {
      const bucketResource = this.bucket.node.defaultChild as CfnElement | undefined;
      const objects = bucketResource
        ? `<${Stack.of(this).getLogicalId(bucketResource)}.Arn>/${this.prefix}*`
        : `arn:<AWS::Partition>:s3:::${this.bucket.bucketName}/${this.prefix}*`;
      Validations.of(this.archiver.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${objects}]`,
        reason:
          'The archiver writes one new object per batch and hour under the archive prefix, named by its contents: ' +
          'PutObject on the prefix is the narrowest grant that allows that.',
      });
    }
    this.archiver.addEventSource(
      new SqsEventSource(this.queue.queue, {
        batchSize: props.batchSize ?? 10_000,
        maxBatchingWindow: Duration.seconds(windowSeconds),
        reportBatchItemFailures: true,
      }),
    );

    this.databaseName = props.glueDatabaseName ?? glueNameOf(Stack.of(this).stackName);
    this.tableName = 'deliveries';
    const { database, table } = this.createGlueTable();
    this.database = database;
    this.table = table;
    this.alarms = [this.delayAlarm(props.maxArchiveDelayMinutes ?? 30)];
  }

  private createBucket(props: DeliveryArchiveProps): { bucket: s3.Bucket; logs: s3.Bucket } {
    const logs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(logs.node.defaultChild as Construct).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "This bucket is the archive bucket's access-log target: logging its own access would log the log writes, without end.",
    });
    const lockDays = props.objectLockDays;
    const retention = props.retentionDays;
    const bucket = new s3.Bucket(this, 'Bucket', {
      // SSE-S3: no per-request KMS charge on every archive write and replay read (docs/archive.md).
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      ...(lockDays !== undefined
        ? {
            objectLockEnabled: true,
            objectLockDefaultRetention:
              (props.objectLockMode ?? 'GOVERNANCE') === 'COMPLIANCE'
                ? s3.ObjectLockRetention.compliance(Duration.days(lockDays))
                : s3.ObjectLockRetention.governance(Duration.days(lockDays)),
          }
        : {}),
      lifecycleRules: [
        { abortIncompleteMultipartUploadAfter: Duration.days(7) },
        ...(retention !== undefined
          ? [
              {
                prefix: this.prefix,
                expiration: Duration.days(retention),
                // A retried batch rewrites its object: the version it replaced goes after a day.
                noncurrentVersionExpiration: Duration.days(1),
                expiredObjectDeleteMarker: false,
              },
            ]
          : []),
      ],
      // The deliveries are the customer's record of what Volt sent: never deleted with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    markRole(bucket, ARCHIVE_BUCKET_ROLE);
    // Access logs through a bucket policy for S3's log delivery, not the LogDeliveryWrite ACL that
    // `serverAccessLogsBucket` sets without the serverAccessLogsUseBucketPolicy feature flag: the
    // log bucket keeps ACLs disabled whatever flags the app has.
    const logPrefix = 'archive-bucket/';
    (bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
      destinationBucketName: logs.bucketName,
      logFilePrefix: logPrefix,
    };
    logs.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [logs.arnForObjects(`${logPrefix}*`)],
        conditions: {
          ArnLike: { 'aws:SourceArn': bucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    return { bucket, logs };
  }

  private createGlueTable(): { database: glue.CfnDatabase; table: glue.CfnTable } {
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: this.databaseName, description: 'Volt webhook deliveries archived by volt-sms-webhooks' },
    });
    const location = `s3://${this.bucket.bucketName}/${this.prefix}`;
    const table = new glue.CfnTable(this, 'Table', {
      catalogId: Aws.ACCOUNT_ID,
      // The database's Ref (its name): CloudFormation creates the database first.
      databaseName: database.ref,
      tableInput: {
        name: this.tableName,
        description: 'One row per archived delivery (docs/archive.md); partition dt = yyyy/MM/dd/HH of receivedAt, UTC',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: 'dt', type: 'string' }],
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy/MM/dd/HH',
          'projection.dt.range': `${ARCHIVE_PROJECTION_START},NOW`,
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'HOURS',
          'storage.location.template': `${location}\${dt}/`,
        },
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          compressed: true,
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            // Athena's column names are lower-case; each maps to the record's camelCase field.
            parameters: Object.fromEntries(
              ARCHIVE_RECORD_FIELDS.map((field) => [`mapping.${field.toLowerCase()}`, field]),
            ),
          },
          columns: ARCHIVE_RECORD_FIELDS.map((field) => ({ name: field.toLowerCase(), type: 'string' })),
        },
      },
    });
    return { database, table };
  }

  private delayAlarm(minutes: number): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, 'ArchiveDelayed', {
      alarmDescription:
        `Verified deliveries have waited over ${minutes} minutes to be archived: S3 writes are failing and being retried ` +
        '(they stay in the archive queue for 14 days, then its DLQ). See docs/operating.md.',
      metric: this.queue.queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: minutes * 60,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
