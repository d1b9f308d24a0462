import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  ListMetricsCommand,
  type Metric,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { INGEST_METRICS, metricsNamespaceFor, REJECTED_REASON_DIMENSION } from '../lambda/common/metrics';
import { parseQuarantineRecord } from '../lambda/ingest/quarantine';
import { queuePairs } from './commands/redrive';
import { quarantineQueueUrl, type StackContext } from './stack-context';

/**
 * Read-only views of the pipeline's queues and alarms, shared by `doctor` (which judges them)
 * and `console` (which shows them). Only Get/Describe calls: the console promises that in
 * deployed mode.
 */

/** Messages a queue holds: waiting to be received, and received but not yet deleted (in flight). */
export interface QueueDepth {
  readonly waiting: number;
  readonly inFlight: number;
}

export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    waiting: Number(Attributes?.['ApproximateNumberOfMessages'] ?? '0'),
    inFlight: Number(Attributes?.['ApproximateNumberOfMessagesNotVisible'] ?? '0'),
  };
}

export interface QueueHealth {
  /** `state` or a subscriber's name. */
  readonly name: string;
  readonly queueUrl: string;
  readonly queue?: QueueDepth;
  readonly dlq?: QueueDepth;
  /** Seconds; from CloudWatch's ApproximateAgeOfOldestMessage, so deployed stacks only. */
  readonly oldestAgeSeconds?: number;
  /** Why the queue could not be read. */
  readonly error?: string;
}

export interface AlarmState {
  readonly name: string;
  readonly state: string;
  readonly reason?: string;
}

/** The stack's alarms: CloudFormation names the unnamed ones `<stack>-<logical id>-<suffix>`. */
export async function describeStackAlarms(ctx: StackContext): Promise<AlarmState[]> {
  const cw = new CloudWatchClient(ctx.region ? { region: ctx.region } : {});
  try {
    const alarms: MetricAlarm[] = [];
    let next: string | undefined;
    do {
      const page = await cw.send(
        new DescribeAlarmsCommand({
          AlarmNamePrefix: `${ctx.source}-`,
          MaxRecords: 100,
          ...(next ? { NextToken: next } : {}),
        }),
      );
      alarms.push(...(page.MetricAlarms ?? []));
      next = page.NextToken;
    } while (next);
    return alarms.map((a) => ({
      name: a.AlarmName ?? '?',
      state: a.StateValue ?? 'UNKNOWN',
      ...(a.StateReason ? { reason: a.StateReason } : {}),
    }));
  } finally {
    cw.destroy();
  }
}

/** The latest ApproximateAgeOfOldestMessage of each queue (by name), over the last 15 minutes. */
async function oldestAges(ctx: StackContext, queueUrls: readonly string[]): Promise<Map<string, number>> {
  const cw = new CloudWatchClient(ctx.region ? { region: ctx.region } : {});
  const now = Date.now();
  try {
    const { MetricDataResults } = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - 15 * 60_000),
        EndTime: new Date(now),
        ScanBy: 'TimestampDescending',
        MetricDataQueries: queueUrls.map((url, i) => ({
          Id: `q${i}`,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/SQS',
              MetricName: 'ApproximateAgeOfOldestMessage',
              Dimensions: [{ Name: 'QueueName', Value: url.split('/').pop() ?? url }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        })),
      }),
    );
    const ages = new Map<string, number>();
    for (const result of MetricDataResults ?? []) {
      const url = queueUrls[Number(result.Id?.slice(1))];
      const latest = result.Values?.[0];
      if (url !== undefined && latest !== undefined) ages.set(url, latest);
    }
    return ages;
  } finally {
    cw.destroy();
  }
}

function reason(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * Every queue with a DLQ and the quarantine, with their depths; in deployed mode the oldest
 * message's age (CloudWatch has no local stand-in). A queue that cannot be read carries `error`.
 */
export async function pipelineQueues(ctx: StackContext): Promise<{ queues: QueueHealth[]; quarantine?: QueueHealth }> {
  const sqs = new SQSClient({ ...ctx.sqs });
  try {
    const read = async (name: string, queueUrl: string, dlqUrl?: string): Promise<QueueHealth> => {
      try {
        const [queue, dlq] = await Promise.all([
          queueDepth(sqs, queueUrl),
          dlqUrl ? queueDepth(sqs, dlqUrl) : Promise.resolve(undefined),
        ]);
        return { name, queueUrl, queue, ...(dlq ? { dlq } : {}) };
      } catch (err: unknown) {
        return { name, queueUrl, error: reason(err) };
      }
    };
    const queues = await Promise.all(queuePairs(ctx).map((p) => read(p.name, p.queueUrl, p.dlqUrl)));
    const quarantineUrl = quarantineQueueUrl(ctx);
    const quarantine = quarantineUrl ? await read('quarantine', quarantineUrl) : undefined;
    if (ctx.kind === 'deployed' && queues.length > 0) {
      try {
        const ages = await oldestAges(
          ctx,
          queues.map((q) => q.queueUrl),
        );
        return {
          queues: queues.map((q) => (ages.has(q.queueUrl) ? { ...q, oldestAgeSeconds: ages.get(q.queueUrl) ?? 0 } : q)),
          ...(quarantine ? { quarantine } : {}),
        };
      } catch {
        // The ages are a nicety: without cloudwatch:GetMetricData the depths still show.
      }
    }
    return { queues, ...(quarantine ? { quarantine } : {}) };
  } finally {
    sqs.destroy();
  }
}

export interface Rejections {
  /** `metrics`: the ingest's Rejected metric by reason (deployed); `queue`: a look at the quarantine's messages (local). */
  readonly source: 'metrics' | 'queue';
  /** The window counted, for `metrics`. */
  readonly since?: string;
  readonly byReason: { readonly reason: string; readonly count: number; readonly latest?: string }[];
}

/** How many quarantined requests the local look reads at most. */
const LOCAL_QUARANTINE_LOOK = 50;

/** The Rejected metric's sum per reason over the last day (ListMetrics and GetMetricData only). */
async function rejectionsFromMetrics(ctx: StackContext, now: Date): Promise<Rejections> {
  const cw = new CloudWatchClient(ctx.region ? { region: ctx.region } : {});
  const since = new Date(now.getTime() - 86_400_000);
  try {
    const metrics: Metric[] = [];
    let next: string | undefined;
    do {
      const page = await cw.send(
        new ListMetricsCommand({
          Namespace: metricsNamespaceFor(ctx.source),
          MetricName: INGEST_METRICS.rejected,
          ...(next ? { NextToken: next } : {}),
        }),
      );
      metrics.push(...(page.Metrics ?? []));
      next = page.NextToken;
    } while (next);
    const withReason = metrics.filter((m) => m.Dimensions?.some((d) => d.Name === REJECTED_REASON_DIMENSION));
    if (withReason.length === 0) return { source: 'metrics', since: since.toISOString(), byReason: [] };
    const { MetricDataResults } = await cw.send(
      new GetMetricDataCommand({
        StartTime: since,
        EndTime: now,
        MetricDataQueries: withReason.slice(0, 500).map((metric, i) => ({
          Id: `r${i}`,
          MetricStat: { Metric: metric, Period: 86_400, Stat: 'Sum' },
        })),
      }),
    );
    const counts = new Map<string, number>();
    for (const result of MetricDataResults ?? []) {
      const metric = withReason[Number(result.Id?.slice(1))];
      const reason = metric?.Dimensions?.find((d) => d.Name === REJECTED_REASON_DIMENSION)?.Value ?? 'unknown';
      const total = (result.Values ?? []).reduce((a, b) => a + b, 0);
      counts.set(reason, (counts.get(reason) ?? 0) + total);
    }
    return {
      source: 'metrics',
      since: since.toISOString(),
      byReason: [...counts]
        .filter(([, count]) => count > 0)
        .map(([reason, count]) => ({ reason, count }))
        .sort((a, b) => b.count - a.count),
    };
  } finally {
    cw.destroy();
  }
}

/** Locally: the quarantine's own records, looked at with visibility 0 so they stay for the next look. */
async function rejectionsFromQueue(ctx: StackContext, queueUrl: string): Promise<Rejections> {
  const sqs = new SQSClient({ ...ctx.sqs });
  const seen = new Map<string, string>();
  try {
    for (let round = 0; round < 5 && seen.size < LOCAL_QUARANTINE_LOOK; round++) {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          WaitTimeSeconds: 0,
        }),
      );
      const fresh = (Messages ?? []).filter((m) => m.MessageId && m.Body !== undefined && !seen.has(m.MessageId));
      if (fresh.length === 0) break;
      for (const m of fresh) seen.set(m.MessageId ?? '', m.Body ?? '');
    }
  } finally {
    sqs.destroy();
  }
  const byReason = new Map<string, { count: number; latest?: string }>();
  for (const body of seen.values()) {
    let reason = 'unreadable record';
    let at: string | undefined;
    try {
      const record = parseQuarantineRecord(body);
      reason = record.reason;
      at = record.receivedAt;
    } catch {
      // Counted as unreadable: the console shows what is there, it does not judge the record.
    }
    const entry = byReason.get(reason) ?? { count: 0 };
    byReason.set(reason, {
      count: entry.count + 1,
      ...(at !== undefined && (entry.latest === undefined || at > entry.latest)
        ? { latest: at }
        : entry.latest
          ? { latest: entry.latest }
          : {}),
    });
  }
  return {
    source: 'queue',
    byReason: [...byReason].map(([reason, v]) => ({ reason, ...v })).sort((a, b) => b.count - a.count),
  };
}

/**
 * The quarantine's recent rejections by reason: from the Rejected metric in deployed mode (the
 * quarantine's messages could only be read by receiving them, which is not a read-only call),
 * from the quarantine's records locally (no CloudWatch there). Undefined without a quarantine.
 */
export async function quarantineRejections(ctx: StackContext, now = new Date()): Promise<Rejections | undefined> {
  if (ctx.kind === 'deployed') return rejectionsFromMetrics(ctx, now);
  const url = quarantineQueueUrl(ctx);
  return url ? rejectionsFromQueue(ctx, url) : undefined;
}
