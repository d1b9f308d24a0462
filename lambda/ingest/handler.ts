import { Logger, LogLevelThreshold } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { PROBE_REASON, WINDOW_OPEN_UNTIL_ATTRIBUTE, type ProbeOutcome } from '../common/registration-window';
import { findMatchingSchemes, formatScheme, SIGNATURE_HEADER } from '../common/signature';
import { ProbeWindow, probeUpdate, WINDOW_KEY } from './probe-window';
import { loadIngestConfig } from './config';
import { headerValue, RETRY_AFTER_SECONDS, WebhookIngestor, type IngestOutcome } from './ingest';
import { quarantineMessageBody, quarantineRecord, TokenBucket } from './quarantine';
import { SQS_SEND_BUDGET, sendWithin, sqsTargets, type SendMessage } from './targets/sqs';
import { optionalEnv } from '../common/env';
import {
  DEFAULT_METRICS_NAMESPACE,
  INGEST_METRICS,
  METRICS_NAMESPACE_ENV,
  METRICS_SERVICE,
  REJECTED_REASON_DIMENSION,
} from '../common/metrics';

// No Powertools Tracer here: the function's active tracing already records each invocation,
// and the Tracer would add the X-Ray SDK to every cold start of the one latency-bound function.
// Logs and metrics carry what the traces would not (webhook id, rejection reason).
const logger = new Logger({ serviceName: 'volt-webhooks-ingest' });
// The `service` dimension: alarms select on it (e.g. SignatureRejected).
const metrics = new Metrics({
  namespace: optionalEnv(METRICS_NAMESPACE_ENV) ?? DEFAULT_METRICS_NAMESPACE,
  serviceName: METRICS_SERVICE.ingest,
});
// Volt expects an answer within about 2 s: fail a slow send fast and let Volt retry. Without
// `throwOnRequestTimeout` the handler's `requestTimeout` only logs a warning and the request
// runs on; the deadline of each send (`sendWithin`) bounds the attempts and the retry delay.
const sqs = new SQSClient({
  maxAttempts: SQS_SEND_BUDGET.maxAttempts,
  requestHandler: {
    connectionTimeout: SQS_SEND_BUDGET.connectionTimeoutMs,
    requestTimeout: SQS_SEND_BUDGET.attemptTimeoutMs,
    throwOnRequestTimeout: true,
  },
});
const sendMessage: SendMessage = (input, options) => sqs.send(new SendMessageCommand(input), options);
// One entry per kind of delivery target the function can send to, each with its client.
const config = loadIngestConfig([sqsTargets(sendMessage)]);
// Per function instance: a flood of forged requests quarantines a sample, not every one.
const quarantineBucket = new TokenBucket(config.quarantinePerMinute);

/**
 * The registration window, when the stack registers with Volt. Its client is made on the first
 * request that needs it (one that failed verification, or names no message), so the path of a
 * message event never reads the table. Loading the client's module still costs every cold start
 * (docs/registration.md, "The probe window"); an `import()` on first use measured worse in the bundle.
 */
function probeWindowFor(tableName: string | undefined): ProbeWindow | undefined {
  if (tableName === undefined) return undefined;
  let client: DynamoDBClient | undefined;
  const dynamodb = () => (client ??= new DynamoDBClient({ maxAttempts: 2 }));
  return new ProbeWindow(
    async () => {
      const { Item } = await dynamodb().send(
        new GetItemCommand({ TableName: tableName, Key: WINDOW_KEY, ConsistentRead: true }),
        // A cold instance's first call opens the connection: room for it, within Volt's patience.
        { abortSignal: AbortSignal.timeout(1500) },
      );
      const until = Item?.[WINDOW_OPEN_UNTIL_ATTRIBUTE]?.N;
      return until !== undefined ? Number(until) : undefined;
    },
    async (outcome, now) => {
      try {
        await dynamodb().send(new UpdateItemCommand(probeUpdate(tableName, outcome, now)), {
          abortSignal: AbortSignal.timeout(1000),
        });
      } catch (err: unknown) {
        // A later probe of the same window, or one after it closed: the first one is what is reported.
        if (err instanceof Error && err.name === 'ConditionalCheckFailedException') return;
        throw err;
      }
    },
  );
}
const probeWindow = probeWindowFor(config.registrationWindowTable);

const ingestor = new WebhookIngestor({
  ...config,
  ...(probeWindow ? { probeWindowOpen: () => probeWindow.isOpen() } : {}),
});

/** The webhook id, known once the signature verified. */
function correlation(outcome: IngestOutcome): { webhookId?: string } {
  return 'webhookId' in outcome && outcome.webhookId !== undefined ? { webhookId: outcome.webhookId } : {};
}

/** `name: message` of an error, never the object itself: SDK errors may carry response metadata. */
function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * Custom metrics for what AWS does not count already. An accepted event emits none: API Gateway
 * counts requests and 2xx/4xx/5xx, and SQS counts the messages sent to each queue, for free; an
 * EMF line per accepted event would cost CPU and log volume on every request (docs/performance.md).
 */
function recordMetrics(outcome: IngestOutcome): void {
  if (outcome.kind === 'enqueued') return;
  if (outcome.kind === 'probe') {
    metrics.addMetric(INGEST_METRICS.registrationProbe, MetricUnit.Count, 1);
  } else if (outcome.kind === 'self_check') {
    // Not a rejection: our own checks must not feed the SignatureRejected alarm.
    metrics.addMetric(INGEST_METRICS.selfCheck, MetricUnit.Count, 1);
  } else if (outcome.kind === 'rejected') {
    // By reason in its own EMF line, so the dimension does not attach to the other metrics.
    const byReason = metrics.singleMetric();
    byReason.addDimension(REJECTED_REASON_DIMENSION, outcome.reason);
    byReason.addMetric(INGEST_METRICS.rejected, MetricUnit.Count, 1);
    if (outcome.reason.startsWith('signature_'))
      metrics.addMetric(INGEST_METRICS.signatureRejected, MetricUnit.Count, 1);
  } else if (outcome.reason === 'enqueue_failed') {
    metrics.addMetric(INGEST_METRICS.enqueueFailed, MetricUnit.Count, 1);
  } else {
    metrics.addMetric(INGEST_METRICS.keysUnavailable, MetricUnit.Count, 1);
  }
}

/** The signature header, found as verification finds it. */
function signatureHeader(event: APIGatewayProxyEventV2): string | undefined {
  return headerValue(event.headers, SIGNATURE_HEADER);
}

function requestBody(event: APIGatewayProxyEventV2): Buffer {
  const text = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
}

/**
 * Keeps a sampled copy of a request that failed verification (401) or was signed but malformed
 * (400). It goes to the quarantine queue only, which no consumer reads; a failure here is
 * logged and counted, and never changes the answer.
 */
async function quarantine(
  event: APIGatewayProxyEventV2,
  outcome: { readonly reason: string; readonly statusCode: number; readonly probe?: ProbeOutcome },
): Promise<void> {
  const sampled = outcome.probe !== undefined || outcome.statusCode === 401 || outcome.statusCode === 400;
  if (!config.quarantineQueueUrl || !sampled) return;
  if (!quarantineBucket.tryTake()) {
    metrics.addMetric(INGEST_METRICS.quarantineDropped, MetricUnit.Count, 1);
    return;
  }
  try {
    const signature = signatureHeader(event);
    const record = quarantineRecord({
      reason: outcome.reason,
      statusCode: outcome.statusCode,
      body: requestBody(event),
      ...(signature !== undefined ? { signature } : {}),
      receivedAt: new Date(),
      maxBodyBytes: config.maxBodyBytes,
      ...(outcome.probe !== undefined ? { probe: outcome.probe } : {}),
    });
    // The quarantine waits no longer than a delivery would: the 401 or 400 is answered after it.
    await sendWithin(
      sendMessage,
      {
        QueueUrl: config.quarantineQueueUrl,
        MessageBody: quarantineMessageBody(record),
        MessageAttributes: { reason: { DataType: 'String', StringValue: outcome.reason } },
      },
      SQS_SEND_BUDGET.deadlineMs,
    );
    metrics.addMetric(INGEST_METRICS.quarantined, MetricUnit.Count, 1);
  } catch (err: unknown) {
    metrics.addMetric(INGEST_METRICS.quarantineFailed, MetricUnit.Count, 1);
    logger.warn('could not quarantine a rejected request', { reason: outcome.reason, error: describeError(err) });
  }
}

/**
 * What the probe's signature was: the configured scheme's verdict, and every scheme under which
 * it would verify with the trusted keys, for the registration to report and calibration to use.
 */
async function probeOutcome(event: APIGatewayProxyEventV2, result: string): Promise<ProbeOutcome> {
  const signature = signatureHeader(event);
  let matchingSchemes: string[] = [];
  if (signature !== undefined) {
    try {
      const keys = await config.keyRing.current();
      matchingSchemes = findMatchingSchemes(requestBody(event), signature, keys).map(formatScheme);
    } catch {
      // No keys to try: the configured scheme's verdict is still reported.
    }
  }
  return {
    result,
    matchingSchemes,
    configuredScheme: formatScheme(config.scheme),
    receivedAt: new Date().toISOString(),
  };
}

/** Volt's test request inside the registration window: reported and quarantined, delivered nowhere. */
async function handleProbe(
  event: APIGatewayProxyEventV2,
  outcome: Extract<IngestOutcome, { kind: 'probe' }>,
): Promise<void> {
  const probe = await probeOutcome(event, outcome.result);
  logger.info('registration probe answered 200 inside the registration window', {
    ...correlation(outcome),
    result: probe.result,
    matchingSchemes: probe.matchingSchemes,
  });
  try {
    await probeWindow?.record(probe);
  } catch (err: unknown) {
    logger.warn('could not record the registration probe', { error: describeError(err) });
  }
  // Only a probe that failed verification is a sample worth calibrating with; a verified one is noise.
  if (probe.result !== 'verified') await quarantine(event, { reason: PROBE_REASON, statusCode: 200, probe });
}

async function handle(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const { response, outcome } = await ingestor.handle(event);
  recordMetrics(outcome);
  // Log fields are chosen one by one: no body, no phone number, no message text. The correlation
  // keys go on each line rather than through appendKeys, which would cost every request twice.
  if (outcome.kind === 'enqueued') {
    // DEBUG: a line per accepted event was most of the handler's own CPU and of its log bill,
    // and the event's path is visible in the queue and the table. `-c logLevel=DEBUG` shows it.
    // Checked here: Powertools reads the environment for the trace id before its own level check.
    if (logger.level <= LogLevelThreshold.DEBUG) {
      logger.debug('webhook enqueued', {
        webhookId: outcome.webhookId,
        messageId: outcome.messageId,
        eventType: outcome.eventType,
        targets: outcome.targets,
      });
    }
  } else if (outcome.kind === 'self_check') {
    // Our own readiness or doctor request: expected, so neither a warning nor a quarantine sample.
    logger.debug('self-check request refused as unsigned');
  } else if (outcome.kind === 'probe') {
    await handleProbe(event, outcome);
  } else if (outcome.kind === 'rejected') {
    logger.warn('webhook rejected', {
      ...correlation(outcome),
      reason: outcome.reason,
      statusCode: outcome.statusCode,
      detail: outcome.detail,
    });
    await quarantine(event, outcome);
  } else {
    logger.error('webhook not enqueued', {
      ...correlation(outcome),
      reason: outcome.reason,
      detail: outcome.detail,
      ...(outcome.failedTargets ? { failedTargets: outcome.failedTargets } : {}),
      ...(config.keyRing.lastError ? { keyFetchError: config.keyRing.lastError } : {}),
    });
  }
  return response;
}

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  try {
    return await handle(event);
  } catch (err: unknown) {
    // A bug must not lose the event: answer 503 so that Volt delivers it again.
    metrics.addMetric(INGEST_METRICS.ingestError, MetricUnit.Count, 1);
    logger.error('unexpected ingest failure', {
      error: describeError(err),
      stack: err instanceof Error ? err.stack : undefined,
    });
    return {
      statusCode: 503,
      headers: { 'content-type': 'application/json', 'retry-after': String(RETRY_AFTER_SECONDS) },
      body: JSON.stringify({ error: 'internal error, retry later' }),
    };
  } finally {
    // Flushed per invocation: EMF lines are only counted once written to the log. A 413 has
    // only its by-reason line, already written; publishing an empty set would log a warning.
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};
