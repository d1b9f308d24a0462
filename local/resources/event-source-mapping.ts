import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Deployment } from '../deployment';
import { SqsEventSource } from '../event-source';
import { DynamoDbStreamEventSource } from '../stream-event-source';
import { numberOr, stringOf, TemplateError, type JsonObject } from '../template';
import type { ResourceKind, Stop } from './kind';

/**
 * Event source mappings: from SQS queues, polled as Lambda's pollers do (`../event-source.ts`),
 * and from DynamoDB streams, read as Lambda's stream pollers do (`../stream-event-source.ts`).
 */

function sqsMapping(id: string, props: JsonObject, deployment: Deployment, sourceArn: string): Stop | undefined {
  const queue = deployment.queues.find((q) => q.arn === sourceArn);
  if (!queue) return undefined;
  const target = deployment.functionFor(stringOf(props['FunctionName']) ?? '', `${id}.FunctionName`);
  const types = Array.isArray(props['FunctionResponseTypes']) ? props['FunctionResponseTypes'] : [];
  const source = new SqsEventSource(
    {
      logicalId: id,
      queueName: queue.key,
      queueUrl: queue.url,
      queueArn: queue.arn,
      target,
      batchSize: numberOr(props['BatchSize'], 10),
      maximumBatchingWindowInSeconds: numberOr(props['MaximumBatchingWindowInSeconds'], 0),
      reportBatchItemFailures: types.includes('ReportBatchItemFailures'),
      ...(queue.redrive ? { maxReceiveCount: queue.redrive.maxReceiveCount } : {}),
      region: deployment.settings.region,
    },
    deployment.sqs,
    (outcome) => deployment.emit({ kind: 'batch', ...outcome }),
    (err: unknown) =>
      deployment.emit({
        kind: 'error',
        message: `${id}: polling ${queue.name} failed: ${err instanceof Error ? err.message : String(err)}`,
      }),
  );
  deployment.eventSources.push(source);
  if (deployment.settings.options.eventSources !== false) source.start();
  return () => source.stop();
}

/** The `OnFailure` destination of a stream mapping, when it is a queue of the stack. */
function failureDestination(id: string, props: JsonObject, deployment: Deployment) {
  const arn = stringOf(
    ((props['DestinationConfig'] as JsonObject | undefined)?.['OnFailure'] as JsonObject | undefined)?.['Destination'],
  );
  if (arn === undefined) return undefined;
  const queue = deployment.queues.find((q) => q.arn === arn);
  if (!queue)
    throw new TemplateError(
      `${id}: only an SQS queue of this stack can be the OnFailure destination locally, got ${arn}`,
    );
  return async (report: string) => {
    await deployment.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: report }));
  };
}

function streamMapping(id: string, props: JsonObject, deployment: Deployment, sourceArn: string): Stop | undefined {
  const stream = deployment.standins.streams.byArn(sourceArn);
  if (!stream) return undefined;
  const target = deployment.functionFor(stringOf(props['FunctionName']) ?? '', `${id}.FunctionName`);
  const types = Array.isArray(props['FunctionResponseTypes']) ? props['FunctionResponseTypes'] : [];
  const position = stringOf(props['StartingPosition']) ?? 'LATEST';
  if (position !== 'TRIM_HORIZON' && position !== 'LATEST')
    throw new TemplateError(`${id}: StartingPosition ${position} is not emulated locally`);
  const onFailure = failureDestination(id, props, deployment);
  const source = new DynamoDbStreamEventSource(
    {
      logicalId: id,
      // The table's role (`messages`) when it has one, as the logs name tables.
      streamName: deployment.tables.find((t) => t.name === stream.tableName)?.role ?? stream.tableName,
      stream,
      target,
      batchSize: numberOr(props['BatchSize'], 100),
      maximumBatchingWindowInSeconds: numberOr(props['MaximumBatchingWindowInSeconds'], 0),
      startingPosition: position,
      reportBatchItemFailures: types.includes('ReportBatchItemFailures'),
      bisectBatchOnFunctionError: props['BisectBatchOnFunctionError'] === true,
      maximumRetryAttempts: numberOr(props['MaximumRetryAttempts'], -1),
      ...(onFailure ? { onFailure } : {}),
      region: deployment.settings.region,
    },
    (outcome) => deployment.emit({ kind: 'stream', ...outcome }),
    (err: unknown) =>
      deployment.emit({
        kind: 'error',
        message: `${id}: reading the stream of ${stream.tableName} failed: ${err instanceof Error ? err.message : String(err)}`,
      }),
  );
  deployment.eventSources.push(source);
  if (deployment.settings.options.eventSources !== false) source.start();
  return () => source.stop();
}

export const eventSourceMappingKind: ResourceKind = {
  name: 'event source mapping',
  types: ['AWS::Lambda::EventSourceMapping'],

  async start(id, _resource, deployment) {
    const props = deployment.properties(id);
    if (props['Enabled'] === false) return undefined;
    const sourceArn = stringOf(props['EventSourceArn']) ?? '';
    if (props['FilterCriteria'])
      throw new TemplateError(
        `${id}: FilterCriteria is not emulated locally; a local run would deliver what AWS filters out`,
      );
    const stop = sqsMapping(id, props, deployment, sourceArn) ?? streamMapping(id, props, deployment, sourceArn);
    if (!stop)
      deployment.emit({
        kind: 'warn',
        message: `${id}: only SQS queues and DynamoDB streams of this stack run as event sources locally; ${sourceArn} skipped`,
      });
    return stop;
  },
};
