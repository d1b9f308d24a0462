import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { FunctionError, type LocalFunction } from './lambda-runtime';

/**
 * Lambda's SQS event source mapping, locally: polls a queue, hands batches to a function in
 * the SQS event shape, and deletes what succeeded. Failed records stay on the queue, reappear
 * after the queue's visibility timeout, and the SQS stand-in moves them to the DLQ once they
 * were received maxReceiveCount times (the redrive policy is the queue's, as on AWS).
 */

export interface EventSourceMappingDefinition {
  readonly logicalId: string;
  /** Readable name of the queue for logs (e.g. `state`). */
  readonly queueName: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly target: LocalFunction;
  /** @default 10 */
  readonly batchSize: number;
  /** @default 0 */
  readonly maximumBatchingWindowInSeconds: number;
  readonly reportBatchItemFailures: boolean;
  /** From the queue's redrive policy, to say in the log when a failure sends a record to the DLQ. */
  readonly maxReceiveCount?: number;
  readonly region: string;
}

/** What happened to one batch, for the live log and tests. */
export interface BatchOutcome {
  readonly mapping: string;
  readonly queueName: string;
  readonly functionName: string;
  readonly records: number;
  /** Message ids left on the queue to be received again. */
  readonly failedMessageIds: readonly string[];
  /** Of those, the ones received maxReceiveCount times: the next receive moves them to the DLQ. */
  readonly exhaustedMessageIds: readonly string[];
  /** Set when the whole batch failed (a thrown error, a timeout, an invalid failure report). */
  readonly error?: string;
  readonly durationMs: number;
}

function toLambdaAttributes(attributes: Record<string, MessageAttributeValue> | undefined): SQSMessageAttributes {
  const result: SQSMessageAttributes = {};
  for (const [name, a] of Object.entries(attributes ?? {})) {
    result[name] = {
      ...(a.StringValue !== undefined ? { stringValue: a.StringValue } : {}),
      ...(a.BinaryValue !== undefined ? { binaryValue: Buffer.from(a.BinaryValue).toString('base64') } : {}),
      stringListValues: a.StringListValues ?? [],
      binaryListValues: (a.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
      dataType: a.DataType ?? 'String',
    };
  }
  return result;
}

/** One SQS message as Lambda hands it to a function (camel-cased, attributes as strings). */
export function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const a = message.Attributes ?? {};
  const attributes: SQSRecordAttributes = {
    ApproximateReceiveCount: a['ApproximateReceiveCount'] ?? '1',
    SentTimestamp: a['SentTimestamp'] ?? String(Date.now()),
    SenderId: a['SenderId'] ?? 'LOCAL',
    ApproximateFirstReceiveTimestamp: a['ApproximateFirstReceiveTimestamp'] ?? String(Date.now()),
  };
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes,
    messageAttributes: toLambdaAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/**
 * Reads `batchItemFailures` from a function's response. Lambda fails the whole batch when the
 * report is malformed or names a message that was not in the batch; `undefined` means that.
 */
export function failedIdsFrom(response: unknown, batchIds: ReadonlySet<string>): Set<string> | undefined {
  if (response === null || response === undefined || typeof response !== 'object') return new Set();
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return undefined;
  const ids = new Set<string>();
  for (const f of failures) {
    const id = (f as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !batchIds.has(id)) return undefined;
    ids.add(id);
  }
  return ids;
}

const LONG_POLL_SECONDS = 1;

export class SqsEventSource {
  private running = false;
  private loop?: Promise<void>;
  private abort = new AbortController();

  constructor(
    private readonly def: EventSourceMappingDefinition,
    private readonly sqs: SQSClient,
    private readonly onBatch: (outcome: BatchOutcome) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.loop;
  }

  private async receive(max: number, waitSeconds: number): Promise<Message[]> {
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.def.queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        // Both spellings: current SQS reads the second, the stand-in only the first.
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: this.abort.signal },
    );
    return out.Messages ?? [];
  }

  /**
   * Gathers a batch: waits for a first record, then fills up to batchSize for at most the
   * batching window, as Lambda does. The first receive asks for one message because the
   * stand-in's long poll with MaxNumberOfMessages > 1 waits out the whole wait time (real SQS
   * answers as soon as anything is there); the rest is gathered with short polls.
   */
  private async collect(): Promise<Message[]> {
    const batch = await this.receive(1, LONG_POLL_SECONDS);
    if (batch.length === 0) return batch;
    const windowEnds = Date.now() + this.def.maximumBatchingWindowInSeconds * 1000;
    while (this.running && batch.length < this.def.batchSize) {
      const more = await this.receive(this.def.batchSize - batch.length, 0);
      batch.push(...more);
      if (more.length > 0) continue;
      const left = windowEnds - Date.now();
      if (left <= 0) break;
      await new Promise((r) => setTimeout(r, Math.min(100, left)));
    }
    return batch;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const messages = await this.collect();
        if (messages.length > 0) await this.process(messages);
      } catch (err: unknown) {
        if (!this.running) break;
        this.onError(err);
        // Back off instead of spinning when the queue or the stand-in is unavailable.
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private async process(messages: Message[]): Promise<void> {
    const started = performance.now();
    const records = messages.map((m) => toSqsRecord(m, this.def.queueArn, this.def.region));
    const ids = new Set(records.map((r) => r.messageId));
    const event: SQSEvent = { Records: records };
    let failed: Set<string>;
    let error: string | undefined;
    try {
      const { value } = await this.def.target.invoke(event);
      const reported = this.def.reportBatchItemFailures ? failedIdsFrom(value, ids) : new Set<string>();
      if (reported === undefined) {
        failed = new Set(ids);
        error = 'invalid batchItemFailures in the response: the whole batch is retried';
      } else failed = reported;
    } catch (err: unknown) {
      // A thrown error (or a timeout) fails the whole batch, even with ReportBatchItemFailures.
      failed = new Set(ids);
      error = err instanceof FunctionError ? `${err.payload.errorType}: ${err.payload.errorMessage}` : String(err);
    }
    const done = records.filter((r) => !failed.has(r.messageId));
    for (let i = 0; i < done.length; i += 10) {
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.def.queueUrl,
          Entries: done.slice(i, i + 10).map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
    const max = this.def.maxReceiveCount;
    const exhausted = records.filter(
      (r) => failed.has(r.messageId) && max !== undefined && Number(r.attributes.ApproximateReceiveCount) >= max,
    );
    this.onBatch({
      mapping: this.def.logicalId,
      queueName: this.def.queueName,
      functionName: this.def.target.definition.displayName,
      records: records.length,
      failedMessageIds: [...failed],
      exhaustedMessageIds: exhausted.map((r) => r.messageId),
      ...(error ? { error } : {}),
      durationMs: performance.now() - started,
    });
  }
}
