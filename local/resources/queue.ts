import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { queueKeyFor, roleOf } from '../names';
import { constructPath, numberOr, stringOf, type JsonObject } from '../template';
import type { ResourceKind } from './kind';

/** SQS queues, created in the SQS stand-in with the template's attributes (redrive policy included). */

const PLAIN_ATTRIBUTES = [
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'MaximumMessageSize',
  'ReceiveMessageWaitTimeSeconds',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
];
const JSON_ATTRIBUTES = ['RedrivePolicy', 'RedriveAllowPolicy'];

/** The queue's properties as SQS `CreateQueue` attributes: every value a string, policies as JSON text. */
function queueAttributes(props: JsonObject): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const key of PLAIN_ATTRIBUTES) {
    const v = props[key];
    if (v !== undefined && v !== null) attributes[key] = String(v);
  }
  for (const key of JSON_ATTRIBUTES) {
    const v = props[key];
    if (v !== undefined && v !== null) attributes[key] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return attributes;
}

function redriveOf(props: JsonObject): { deadLetterTargetArn: string; maxReceiveCount: number } | undefined {
  const redrive = props['RedrivePolicy'];
  const policy = typeof redrive === 'string' ? (JSON.parse(redrive) as JsonObject) : redrive;
  if (!policy || typeof policy !== 'object' || Array.isArray(policy)) return undefined;
  return {
    deadLetterTargetArn: String(policy['deadLetterTargetArn']),
    maxReceiveCount: numberOr(policy['maxReceiveCount'], 1),
  };
}

export const queueKind: ResourceKind = {
  name: 'SQS queue',
  types: ['AWS::SQS::Queue'],

  provide(id, resource, deployment) {
    const fifo = resource.Properties?.['FifoQueue'] === true || resource.Properties?.['FifoQueue'] === 'true';
    const given = stringOf(resource.Properties?.['QueueName']);
    const name = given ?? `${deployment.physicalName(id, fifo ? 75 : 80)}${fifo ? '.fifo' : ''}`;
    const url = `${deployment.standins.endpoints.sqs}/${deployment.settings.accountId}/${name}`;
    return { ref: url, attributes: { Arn: deployment.arn('sqs', name), QueueName: name, QueueUrl: url } };
  },

  // A queue waits for its dead-letter queue (its redrive policy refers to it), which SQS
  // requires to exist first.
  async start(id, resource, deployment) {
    const props = deployment.properties(id);
    const name = deployment.attribute(id, 'QueueName');
    const url = deployment.refs.get(id) ?? '';
    const out = await deployment.sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: queueAttributes(props) }),
    );
    if (out.QueueUrl !== url)
      throw new Error(`${id}: the SQS stand-in named the queue ${out.QueueUrl}, expected ${url}`);
    const role = roleOf(resource);
    const path = constructPath(resource);
    const redrive = redriveOf(props);
    deployment.queues.push({
      logicalId: id,
      key: queueKeyFor(id, resource),
      ...(role ? { role } : {}),
      ...(path ? { path } : {}),
      name,
      url,
      arn: deployment.attribute(id, 'Arn'),
      visibilityTimeout: numberOr(props['VisibilityTimeout'], 30),
      ...(redrive ? { redrive } : {}),
    });
    return undefined;
  },
};
