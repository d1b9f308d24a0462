import { randomUUID } from 'node:crypto';
import type { DynamoDBRecord } from 'aws-lambda';

/**
 * DynamoDB Streams, locally: dynalite has none. `local/dynalite.ts` reports every write it
 * commits (the item before and after, taken under dynalite's per-item lock, so in the order the
 * writes applied), and each table whose template enables a stream keeps them here as stream
 * records in Lambda's shape, for the stream event source (`local/stream-event-source.ts`).
 *
 * As DynamoDB: one record per write that changed the item (a write that changes nothing, or a
 * refused condition, makes none), in order per item; `INSERT`, `MODIFY` or `REMOVE`; the images
 * the view type asks for. Locally: one shard per table, records kept for the life of the stack
 * (DynamoDB keeps them 24 h), and no stream API (GetRecords, ...) on the wire: only the event
 * source reads them, in-process.
 */

/** What a stream record holds of the item (`StreamSpecification.StreamViewType`). */
export type StreamViewType = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';

export const STREAM_VIEW_TYPES: readonly StreamViewType[] = [
  'KEYS_ONLY',
  'NEW_IMAGE',
  'OLD_IMAGE',
  'NEW_AND_OLD_IMAGES',
];

type Item = Readonly<Record<string, unknown>>;

/** The table as dynalite describes it to its write path: enough to cut the key out of an item. */
export interface WrittenTable {
  readonly TableName: string;
  readonly KeySchema: readonly { readonly AttributeName: string }[];
}

/** An item with its attributes in name order, for telling whether a write changed anything. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** One table's stream: its records in write order, and who waits for the next one. */
export class TableStream {
  private readonly log: DynamoDBRecord[] = [];
  private waiters: (() => void)[] = [];
  private sequence = 0;

  constructor(
    readonly tableName: string,
    readonly streamArn: string,
    readonly viewType: StreamViewType,
    private readonly region: string,
  ) {}

  /** Position just after the newest record (where `LATEST` starts). */
  get end(): number {
    return this.log.length;
  }

  /** Up to `max` records from `position` on. */
  read(position: number, max: number): DynamoDBRecord[] {
    return this.log.slice(position, position + max);
  }

  /** Resolves once a record at `position` exists, or when `signal` aborts. */
  waitFor(position: number, signal: AbortSignal): Promise<void> {
    if (position < this.log.length || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  append(table: WrittenTable, before: Item | undefined, after: Item | undefined): void {
    const item = after ?? before;
    if (!item) return;
    if (before && after && canonical(before) === canonical(after)) return;
    const keys = Object.fromEntries(table.KeySchema.map(({ AttributeName }) => [AttributeName, item[AttributeName]]));
    const withNew = this.viewType === 'NEW_IMAGE' || this.viewType === 'NEW_AND_OLD_IMAGES';
    const withOld = this.viewType === 'OLD_IMAGE' || this.viewType === 'NEW_AND_OLD_IMAGES';
    const images = {
      ...(withNew && after ? { NewImage: structuredClone(after) } : {}),
      ...(withOld && before ? { OldImage: structuredClone(before) } : {}),
    };
    this.sequence++;
    const record = {
      eventID: randomUUID().replace(/-/g, ''),
      eventName: !before ? 'INSERT' : !after ? 'REMOVE' : 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.region,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: structuredClone(keys),
        ...images,
        // Fixed width, so that text order is stream order, as DynamoDB's numeric strings are.
        SequenceNumber: String(this.sequence).padStart(21, '0'),
        SizeBytes: Buffer.byteLength(JSON.stringify({ keys, ...images })),
        StreamViewType: this.viewType,
      },
      eventSourceARN: this.streamArn,
    };
    this.log.push(record as DynamoDBRecord);
    const waiting = this.waiters;
    this.waiters = [];
    for (const wake of waiting) wake();
  }
}

/** The streams of one DynamoDB stand-in, by table name. */
export class DynamoDbStreams {
  private readonly byTable = new Map<string, TableStream>();

  constructor(private readonly region: string) {}

  /** Turns the stream of `tableName` on (again: the records so far are kept). */
  enable(tableName: string, streamArn: string, viewType: StreamViewType): TableStream {
    const existing = this.byTable.get(tableName);
    if (existing && existing.streamArn === streamArn && existing.viewType === viewType) return existing;
    const stream = new TableStream(tableName, streamArn, viewType, this.region);
    this.byTable.set(tableName, stream);
    return stream;
  }

  /** The stream with this ARN, if one is enabled. */
  byArn(streamArn: string): TableStream | undefined {
    return [...this.byTable.values()].find((s) => s.streamArn === streamArn);
  }

  /** Called for every write the DynamoDB stand-in commits; a table without a stream ignores it. */
  readonly recordWrite = (table: WrittenTable, before: Item | undefined, after: Item | undefined): void => {
    this.byTable.get(table.TableName)?.append(table, before, after);
  };
}
