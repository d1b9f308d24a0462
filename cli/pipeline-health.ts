import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
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
