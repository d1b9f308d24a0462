import { VoltClient } from '../../lambda/registration/volt-api';
import { FAILURE_STATUSES } from '../../lambda/consumer/state-rules';
import { DEFAULT_SIMULATOR_TOKEN } from '../../local/volt-simulator/defaults';
import { CliError } from '../command';
import { checkLastWebhook, type LastWebhookResult } from '../commands/last-webhook';
import { MessageQueries, timelineOf, type MessageView, type Plain, type TimeRange } from '../message-queries';
import {
  describeStackAlarms,
  pipelineQueues,
  quarantineRejections,
  type AlarmState,
  type QueueHealth,
  type Rejections,
} from '../pipeline-health';
import { explainAwsError, type StackContext } from '../stack-context';
import {
  ArchiveDeliveries,
  type ArchiveDeliveriesOptions,
  type ArchiveStatus,
  type DeliveredEntry,
  type UnrecordedDelivery,
} from './deliveries';

/**
 * What the console's endpoints answer, read through the CLI's own query modules
 * (`message-queries`, `pipeline-health`, `last-webhook`): the console adds shapes for the page,
 * not queries of its own.
 */

export interface MessageFilter {
  readonly status?: string;
  readonly direction?: string;
  readonly contact?: string;
  readonly range: TimeRange;
  readonly limit: number;
}

export interface MessageList {
  readonly messages: MessageView[];
  /** The scan behind an unfiltered list stopped before the end of the table: older messages may be missing. */
  readonly truncated: boolean;
  /** Which read answered: the contact index, the failed index, or a bounded scan. */
  readonly source: 'contact' | 'failed' | 'scan';
}

export interface MessageDetail {
  readonly message: MessageView;
  /** The history's events, each with its deliveries when the archive was read. */
  readonly timeline: DeliveredEntry[];
  /** Archived deliveries of this message whose webhook id the history does not hold. */
  readonly unrecorded: UnrecordedDelivery[];
  readonly archive: ArchiveStatus;
}

export interface FailureChart {
  /** Bucket start times, ISO. */
  readonly buckets: string[];
  readonly bucketMs: number;
  /** Counts per bucket, by error label (`code title`) and by carrier. */
  readonly byErrorCode: Record<string, number[]>;
  readonly byCarrier: Record<string, number[]>;
  readonly total: number;
}

export interface Health {
  readonly mode: StackContext['kind'];
  readonly source: string;
  readonly queues: QueueHealth[];
  readonly quarantine?: QueueHealth;
  readonly lastWebhook: LastWebhookResult;
  /** The quarantine's recent rejections by reason. */
  readonly rejections?: Rejections;
  readonly rejectionsError?: string;
  /** Deployed mode only: CloudWatch has no local stand-in. */
  readonly alarms?: AlarmState[];
  readonly alarmsError?: string;
}

export interface SendInput {
  readonly to: string;
  readonly from: string;
  readonly body: string;
}

/** How many items a list reads before filtering by status and direction in memory. */
const READ_LIMIT = 500;
/** The most failures a chart counts. */
const CHART_LIMIT = 5000;

const text = (v: Plain | undefined): string | undefined =>
  typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;

/** A failure's label: the vendor's error code and title, as the timeline explains it. */
export function errorLabel(m: MessageView): string {
  const code = text(m.errorCode) ?? text(m.providerErrorCode);
  const title = text(m.providerErrorTitle);
  if (code === undefined) return title ?? `${text(m.status) ?? 'failed'} (no error code)`;
  return title ? `${code} ${title}` : code;
}

/** Failures counted per time bucket: hours for a range up to two days, else days. */
export function failureChart(failures: readonly MessageView[], range: Required<TimeRange>): FailureChart {
  const from = Date.parse(range.since);
  const to = Date.parse(range.until);
  const bucketMs = to - from <= 2 * 86_400_000 ? 3_600_000 : 86_400_000;
  const start = Math.floor(from / bucketMs) * bucketMs;
  const count = Math.max(1, Math.ceil((to - start) / bucketMs));
  const buckets = Array.from({ length: count }, (_, i) => new Date(start + i * bucketMs).toISOString());
  const byErrorCode: Record<string, number[]> = {};
  const byCarrier: Record<string, number[]> = {};
  let total = 0;
  const add = (series: Record<string, number[]>, key: string, i: number) => {
    const counts = (series[key] ??= new Array<number>(count).fill(0));
    counts[i] = (counts[i] ?? 0) + 1;
  };
  for (const m of failures) {
    const at = Date.parse(String(m.occurredAt ?? ''));
    if (!Number.isFinite(at) || at < from || at >= to) continue;
    const i = Math.floor((at - start) / bucketMs);
    add(byErrorCode, errorLabel(m), i);
    add(byCarrier, text(m.carrierName) ?? 'unknown carrier', i);
    total++;
  }
  return { buckets, bucketMs, byErrorCode, byCarrier, total };
}

export class ConsoleData {
  private readonly queries: MessageQueries;
  private readonly archive: ArchiveDeliveries;

  constructor(
    readonly ctx: StackContext,
    options: { readonly archive?: ArchiveDeliveriesOptions } = {},
  ) {
    this.queries = new MessageQueries(ctx);
    this.archive = new ArchiveDeliveries(ctx, options.archive);
  }

  close(): void {
    this.queries.close();
    this.archive.close();
  }

  async messages(filter: MessageFilter): Promise<MessageList> {
    const failureFilter =
      filter.status === 'failures' || (filter.status !== undefined && FAILURE_STATUSES.has(filter.status));
    let found: MessageView[];
    let truncated = false;
    let source: MessageList['source'];
    if (filter.contact !== undefined) {
      found = await this.queries.byContact(filter.contact, filter.range, READ_LIMIT);
      source = 'contact';
    } else if (failureFilter) {
      found = await this.queries.failed(filter.range, READ_LIMIT);
      source = 'failed';
    } else {
      ({ messages: found, truncated } = await this.queries.recent(filter.range, READ_LIMIT));
      source = 'scan';
    }
    const kept = found.filter(
      (m) =>
        (filter.status === undefined ||
          (filter.status === 'failures' ? FAILURE_STATUSES.has(String(m.status)) : m.status === filter.status)) &&
        (filter.direction === undefined || m.direction === filter.direction),
    );
    return { messages: kept.slice(0, filter.limit), truncated, source };
  }

  async message(messageId: string): Promise<MessageDetail> {
    const message = await this.queries.get(messageId);
    const marked = await this.archive.mark(messageId, message, timelineOf(message));
    return { message, ...marked };
  }

  async failures(range: Required<TimeRange>): Promise<FailureChart> {
    return failureChart(await this.queries.failed(range, CHART_LIMIT), range);
  }

  async health(): Promise<Health> {
    const failure = (err: unknown) => {
      const explained = explainAwsError(err, this.ctx);
      return explained instanceof Error ? explained.message : String(explained);
    };
    const [queues, lastWebhook, rejections] = await Promise.all([
      pipelineQueues(this.ctx),
      checkLastWebhook(this.ctx),
      quarantineRejections(this.ctx).then(
        (found) => ({ found }),
        (err: unknown) => ({ error: failure(err) }),
      ),
    ]);
    let alarms: AlarmState[] | undefined;
    let alarmsError: string | undefined;
    if (this.ctx.kind === 'deployed') {
      try {
        alarms = await describeStackAlarms(this.ctx);
      } catch (err: unknown) {
        alarmsError = failure(err);
      }
    }
    return {
      mode: this.ctx.kind,
      source: this.ctx.source,
      ...queues,
      lastWebhook,
      ...('found' in rejections && rejections.found ? { rejections: rejections.found } : {}),
      ...('error' in rejections ? { rejectionsError: rejections.error } : {}),
      ...(alarms ? { alarms } : {}),
      ...(alarmsError ? { alarmsError } : {}),
    };
  }

  /** Sends a test SMS through the local stack's Volt simulator; refused for a deployed stack. */
  async send(input: SendInput): Promise<{ id: string; status?: string }> {
    if (this.ctx.kind !== 'local') throw new CliError('sending is only offered for the local stack');
    const apiUrl = this.ctx.local?.voltApiUrl;
    if (!apiUrl) throw new CliError(`${this.ctx.source} has no voltApiUrl: restart the local stack with this version`);
    // One attempt, as `send` does: createMessage is not idempotent.
    const client = new VoltClient({
      apiUrl,
      token: this.ctx.local?.voltToken ?? DEFAULT_SIMULATOR_TOKEN,
      retry: { maxAttempts: 1, requestTimeoutMs: 15_000 },
    });
    const created = await client.createMessage({ to: input.to, from: input.from, body: input.body, media: [] });
    return { id: created.id, ...(created.status ? { status: created.status } : {}) };
  }
}
