import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandOutput } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { queueOutputIds, STACK_OUTPUTS, STATE_QUEUE_OUTPUT_PREFIX } from '../../lib/stack-outputs';
import { explainAwsError, type StackContext } from '../stack-context';
import { CliError } from '../command';

/**
 * `doctor`'s "last webhook" line: when the pipeline last accepted a webhook, the question the
 * silence alarm asks (docs/operating.md). Only verified events reach the state queue, so its
 * `NumberOfMessagesSent` counts accepted webhooks, and neither probes nor forgeries. CloudWatch
 * has no local stand-in: locally the answer is the newest `updatedAt` in the table, the time the
 * consumer last stored a new event (a second or so after the ingest accepted it).
 */

export const LAST_WEBHOOK_CHECK = 'last webhook';

/** How far back CloudWatch is asked: it keeps one-minute data points for 15 days. */
export const LOOKBACK_DAYS = 14;

/** The same shape as `doctor`'s `CheckResult`, declared here so this module stays self-contained. */
export interface LastWebhookResult {
  readonly check: typeof LAST_WEBHOOK_CHECK;
  readonly status: 'ok' | 'FAIL' | 'skip';
  readonly reason: string;
}

/** `3 h 12 min ago`, `45 s ago`, `2 d 4 h ago`. */
export function ago(then: Date, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min ago`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h ago`;
}

function message(err: unknown): string {
  const explained = explainAwsError(err);
  if (explained instanceof CliError) return explained.message;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** The newest minute with at least one message sent to the queue, within the look-back. */
async function newestSentMinute(cloudwatch: CloudWatchClient, queueName: string, now: Date): Promise<Date | undefined> {
  let nextToken: string | undefined;
  do {
    const page: GetMetricDataCommandOutput | undefined = await cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: [
          {
            Id: 'sent',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/SQS',
                MetricName: 'NumberOfMessagesSent',
                Dimensions: [{ Name: 'QueueName', Value: queueName }],
              },
              Period: 60,
              Stat: 'Sum',
            },
            ReturnData: true,
          },
        ],
        StartTime: new Date(now.getTime() - LOOKBACK_DAYS * 86_400_000),
        EndTime: now,
        ScanBy: 'TimestampDescending',
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    const result = page?.MetricDataResults?.[0];
    const timestamps = result?.Timestamps ?? [];
    const values = result?.Values ?? [];
    // Newest first: an active queue reports 0 for every quiet minute.
    let newest: Date | undefined;
    for (const [i, value] of values.entries()) {
      const at = timestamps[i];
      if (value > 0 && at !== undefined && (newest === undefined || at > newest)) newest = at;
    }
    if (newest !== undefined) return newest;
    nextToken = page?.NextToken;
  } while (nextToken);
  return undefined;
}

async function deployed(ctx: StackContext, now: Date): Promise<LastWebhookResult> {
  const check = LAST_WEBHOOK_CHECK;
  const queueUrl = ctx.outputs[queueOutputIds(STATE_QUEUE_OUTPUT_PREFIX).queueUrl];
  const queueName = queueUrl?.split('/').pop();
  if (!queueName) return { check, status: 'FAIL', reason: 'no state queue URL among the stack outputs' };
  const cloudwatch = new CloudWatchClient(ctx.region ? { region: ctx.region } : {});
  try {
    const newest = await newestSentMinute(cloudwatch, queueName, now);
    if (newest === undefined)
      return {
        check,
        status: 'skip',
        reason: `no webhook accepted in the last ${LOOKBACK_DAYS} days (NumberOfMessagesSent of ${queueName}): a new or unused stack, or Volt stopped sending; see the WebhookSilence alarm`,
      };
    return {
      check,
      status: 'ok',
      reason: `${newest.toISOString()} (${ago(newest, now)}), the last minute with an event sent to ${queueName} (CloudWatch shows it a few minutes late)`,
    };
  } catch (err: unknown) {
    return { check, status: 'FAIL', reason: `cannot read ${queueName}'s metrics: ${message(err)}` };
  } finally {
    cloudwatch.destroy();
  }
}

async function local(ctx: StackContext, now: Date): Promise<LastWebhookResult> {
  const check = LAST_WEBHOOK_CHECK;
  const tableName = ctx.outputs[STACK_OUTPUTS.tableName];
  if (!tableName) return { check, status: 'FAIL', reason: 'no table in the local stack file' };
  const dynamodb = new DynamoDBClient({ ...ctx.dynamodb, maxAttempts: 2 });
  try {
    // A local table is small: reading every item's updatedAt is cheap here (never on AWS).
    let newest: string | undefined;
    let items = 0;
    let startKey: ScanCommandOutput['LastEvaluatedKey'];
    do {
      const page: ScanCommandOutput = await dynamodb.send(
        new ScanCommand({
          TableName: tableName,
          ProjectionExpression: 'updatedAt',
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        items++;
        const at = item['updatedAt']?.S;
        if (at !== undefined && (newest === undefined || at > newest)) newest = at;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const when = newest === undefined ? undefined : new Date(newest);
    if (when === undefined || Number.isNaN(when.getTime()))
      return {
        check,
        status: 'skip',
        reason: `no message stored yet in ${tableName} (${items} item(s)): send one with \`volt-webhooks send --local\``,
      };
    return {
      check,
      status: 'ok',
      reason: `${when.toISOString()} (${ago(when, now)}), the newest updatedAt in ${tableName}: when the consumer last stored a new event (locally CloudWatch is not there to ask)`,
    };
  } catch (err: unknown) {
    if (err instanceof Error && err.name === 'ResourceNotFoundException')
      return {
        check,
        status: 'skip',
        reason: `no table ${tableName} on the local DynamoDB: is the local stack running?`,
      };
    return { check, status: 'FAIL', reason: `cannot read ${tableName}: ${message(explainAwsError(err, ctx))}` };
  } finally {
    dynamodb.destroy();
  }
}

/** When the stack last accepted a webhook, by the most honest source its mode offers. Never throws. */
export function checkLastWebhook(ctx: StackContext, now = new Date()): Promise<LastWebhookResult> {
  return ctx.kind === 'local' ? local(ctx, now) : deployed(ctx, now);
}
