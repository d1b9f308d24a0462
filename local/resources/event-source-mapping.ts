import { SqsEventSource } from '../event-source';
import { numberOr, stringOf, TemplateError } from '../template';
import type { ResourceKind } from './kind';

/** Event source mappings from SQS queues, polled as Lambda's pollers do (see `../event-source.ts`). */
export const eventSourceMappingKind: ResourceKind = {
  name: 'event source mapping',
  types: ['AWS::Lambda::EventSourceMapping'],

  async start(id, _resource, deployment) {
    const props = deployment.properties(id);
    if (props['Enabled'] === false) return undefined;
    const sourceArn = stringOf(props['EventSourceArn']) ?? '';
    const queue = deployment.queues.find((q) => q.arn === sourceArn);
    if (!queue) {
      deployment.emit({ kind: 'warn', message: `${id}: only SQS event sources run locally; ${sourceArn} skipped` });
      return undefined;
    }
    if (props['FilterCriteria'])
      throw new TemplateError(
        `${id}: FilterCriteria is not emulated locally; a local run would deliver what AWS filters out`,
      );
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
  },
};
