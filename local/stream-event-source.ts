import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { TableStream } from './dynamodb-streams';
import { FunctionError, type LocalFunction } from './lambda-runtime';

/**
 * Lambda's event source mapping for a DynamoDB stream, locally: reads a table's stream
 * (`local/dynamodb-streams.ts`) in order, hands batches to a function in the stream event shape,
 * and moves its checkpoint as Lambda does:
 * - a batch that succeeded is checkpointed whole;
 * - with `ReportBatchItemFailures`, a response naming records checkpoints up to the first of them
 *   (the lowest sequence number) and retries from there; a malformed report, or one naming a record
 *   not in the batch, fails the whole batch;
 * - an error or a timeout fails the whole batch; with `BisectBatchOnFunctionError` the next
 *   attempt takes half the batch;
 * - a batch is retried (in place: nothing after it is read meanwhile, so order holds) until it
 *   succeeds or `MaximumRetryAttempts` retries failed (-1: no limit; DynamoDB's 24 h expiry does
 *   not happen locally), then reported to the `OnFailure` destination and skipped.
 * Retries wait 100 ms, doubling to at most 2 s.
 */

export interface StreamMappingDefinition {
  readonly logicalId: string;
  /** Readable name of the stream for logs (its table's). */
  readonly streamName: string;
  readonly stream: TableStream;
  readonly target: LocalFunction;
  readonly batchSize: number;
  readonly maximumBatchingWindowInSeconds: number;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  readonly reportBatchItemFailures: boolean;
  readonly bisectBatchOnFunctionError: boolean;
  /** -1 for no limit. */
  readonly maximumRetryAttempts: number;
  /** Takes Lambda's report of a batch it gave up on (the `OnFailure` destination). */
  readonly onFailure?: (report: string) => Promise<void>;
  readonly region: string;
}

/** What happened to one batch, for the live log and tests. */
export interface StreamBatchOutcome {
  readonly mapping: string;
  readonly streamName: string;
  readonly functionName: string;
  readonly records: number;
  /** Records checkpointed by this attempt. */
  readonly done: number;
  /** Retries of this batch so far (0 on a first attempt). */
  readonly retry: number;
  /** Set when the batch failed, whole or from a record on. */
  readonly error?: string;
  /** Set when the batch was given up on and reported to the failure destination. */
  readonly discarded?: number;
  readonly durationMs: number;
}

/**
 * The records to retry from a function's response, as Lambda reads `batchItemFailures` for a
 * stream: the index of the first failed record, `records.length` when none failed, `undefined`
 * when the report is malformed or names a record not in the batch (the whole batch then fails).
 */
export function firstFailedIndex(response: unknown, records: readonly DynamoDBRecord[]): number | undefined {
  if (response === null || response === undefined || typeof response !== 'object') return records.length;
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return records.length;
  if (!Array.isArray(failures)) return undefined;
  let first = records.length;
  for (const f of failures) {
    const id = (f as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index = typeof id === 'string' ? records.findIndex((r) => r.dynamodb?.SequenceNumber === id) : -1;
    if (index < 0) return undefined;
    first = Math.min(first, index);
  }
  return first;
}

function failureReport(def: StreamMappingDefinition, batch: readonly DynamoDBRecord[], retries: number): string {
  const first = batch[0]?.dynamodb;
  const last = batch[batch.length - 1]?.dynamodb;
  return JSON.stringify({
    requestContext: {
      functionArn: def.target.definition.functionArn,
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: retries + 1,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: new Date().toISOString(),
    DDBStreamBatchInfo: {
      shardId: 'shardId-local-0',
      startSequenceNumber: first?.SequenceNumber,
      endSequenceNumber: last?.SequenceNumber,
      approximateArrivalOfFirstRecord: new Date((first?.ApproximateCreationDateTime ?? 0) * 1000).toISOString(),
      approximateArrivalOfLastRecord: new Date((last?.ApproximateCreationDateTime ?? 0) * 1000).toISOString(),
      batchSize: batch.length,
      streamArn: def.stream.streamArn,
    },
  });
}

export class DynamoDbStreamEventSource {
  private running = false;
  private loop?: Promise<void>;
  private abort = new AbortController();
  private position: number;

  constructor(
    private readonly def: StreamMappingDefinition,
    private readonly onBatch: (outcome: StreamBatchOutcome) => void,
    private readonly onError: (err: unknown) => void,
  ) {
    this.position = def.startingPosition === 'LATEST' ? def.stream.end : 0;
  }

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

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.abort.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }

  /** Waits for a first record, then up to the batching window for the batch to fill. */
  private async collect(limit: number): Promise<DynamoDBRecord[]> {
    await this.def.stream.waitFor(this.position, this.abort.signal);
    const windowEnds = Date.now() + this.def.maximumBatchingWindowInSeconds * 1000;
    while (this.running && this.def.stream.end - this.position < limit && Date.now() < windowEnds)
      await this.sleep(Math.min(50, windowEnds - Date.now()));
    return this.def.stream.read(this.position, limit);
  }

  private async run(): Promise<void> {
    let retries = 0;
    let limit = this.def.batchSize;
    while (this.running) {
      try {
        const batch = await this.collect(limit);
        if (!this.running || batch.length === 0) continue;
        const { done, bisect } = await this.process(batch, retries);
        this.position += done;
        if (done === batch.length) {
          retries = 0;
          limit = this.def.batchSize;
          continue;
        }
        const max = this.def.maximumRetryAttempts;
        if (max >= 0 && retries >= max) {
          const rest = batch.slice(done);
          await this.def.onFailure?.(failureReport(this.def, rest, retries));
          this.position += rest.length;
          this.onBatch({
            mapping: this.def.logicalId,
            streamName: this.def.streamName,
            functionName: this.def.target.definition.displayName,
            records: rest.length,
            done: 0,
            retry: retries,
            discarded: rest.length,
            durationMs: 0,
          });
          retries = 0;
          limit = this.def.batchSize;
          continue;
        }
        retries++;
        if (bisect) limit = Math.max(1, Math.floor((batch.length - done) / 2));
        await this.sleep(Math.min(2000, 100 * 2 ** (retries - 1)));
      } catch (err: unknown) {
        if (!this.running) break;
        this.onError(err);
        await this.sleep(1000);
      }
    }
  }

  /** Invokes the function with one batch; how many records it checkpoints, and whether to bisect. */
  private async process(batch: DynamoDBRecord[], retry: number): Promise<{ done: number; bisect: boolean }> {
    const started = performance.now();
    const event: DynamoDBStreamEvent = { Records: batch };
    let done: number;
    let error: string | undefined;
    let thrown = false;
    try {
      const { value } = await this.def.target.invoke(event);
      const first = this.def.reportBatchItemFailures ? firstFailedIndex(value, batch) : batch.length;
      if (first === undefined) {
        done = 0;
        error = 'invalid batchItemFailures in the response: the whole batch is retried';
      } else {
        done = first;
        if (first < batch.length) error = `batch item failure at ${batch[first]?.dynamodb?.SequenceNumber}`;
      }
    } catch (err: unknown) {
      done = 0;
      thrown = true;
      error = err instanceof FunctionError ? `${err.payload.errorType}: ${err.payload.errorMessage}` : String(err);
    }
    this.onBatch({
      mapping: this.def.logicalId,
      streamName: this.def.streamName,
      functionName: this.def.target.definition.displayName,
      records: batch.length,
      done,
      retry,
      ...(error !== undefined ? { error } : {}),
      durationMs: performance.now() - started,
    });
    return { done, bisect: thrown && this.def.bisectBatchOnFunctionError && batch.length > 1 };
  }
}
