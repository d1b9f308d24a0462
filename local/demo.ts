import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { cliHint, MESSAGE_ID_PLACEHOLDER } from '../cli/hints';
import { STATE_QUEUE_ROLE } from '../lib/template-contract';
import { messagesTable, type LocalStack } from './model';
import type { VoltSimulator } from './volt-simulator';

/**
 * `npm run demo`: a delivered message, a failed one and an inbound reply go through the
 * simulator, and their statuses are shown as the consumer stores them.
 */

const OUR_NUMBER = '+15555550100';
const CONTACT = '+15555550123';
/** One of the simulator's failing recipients (spam filter). */
const FAILING = '+15555550666';

export async function runDemo(options: {
  stack: LocalStack;
  simulator: VoltSimulator;
  log: (line: string) => void;
  timeoutMs?: number;
}): Promise<void> {
  const { stack, simulator, log } = options;
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  log('demo: sending a message, a failing message and an inbound reply through the Volt simulator');
  const delivered = simulator.createMessage({ to: CONTACT, from: OUR_NUMBER, body: 'Hello from the local demo' });
  const failed = simulator.createMessage({ to: FAILING, from: OUR_NUMBER, body: 'This one ends as failed' });
  const reply = simulator.simulateInbound({ from: CONTACT, to: OUR_NUMBER, body: 'Thanks, got it' });
  const ids = [
    { label: 'outbound', id: delivered.id ?? delivered.messageAppId },
    { label: 'failing', id: failed.id ?? failed.messageAppId },
    // Inbound events carry `id: null`: the message id falls back to message_app_id.
    { label: 'inbound', id: reply.messageAppId },
  ];

  const table = messagesTable(stack);
  if (!table) {
    await simulator.idle();
    const sqs = new SQSClient({ region: stack.region, endpoint: stack.sqsEndpoint, credentials });
    const state = stack.queues.find((q) => q.key === STATE_QUEUE_ROLE);
    if (state) {
      const out = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: state.url, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      log(
        `demo: the template has no table yet; ${out.Attributes?.['ApproximateNumberOfMessages'] ?? '?'} event(s) wait on the state queue`,
      );
    }
    sqs.destroy();
    return;
  }

  const dynamodb = new DynamoDBClient({ region: stack.region, endpoint: stack.dynamodbEndpoint, credentials });
  const seen = new Map<string, string>();
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  const finalStatuses = new Set(['delivered', 'failed', 'undelivered', 'received', 'webhook_delivered']);
  try {
    while (Date.now() < deadline) {
      for (const { label, id } of ids) {
        const out = await dynamodb.send(
          new GetItemCommand({ TableName: table.name, Key: { messageId: { S: id } }, ConsistentRead: true }),
        );
        const status = out.Item?.['status']?.S;
        if (status && seen.get(id) !== status) {
          seen.set(id, status);
          const error = out.Item?.['providerErrorTitle']?.S ?? out.Item?.['errorCode']?.S;
          log(`demo: ${label.padEnd(8)} ${id} -> ${status}${error ? ` (${error})` : ''}`);
        }
      }
      if (ids.every(({ id }) => finalStatuses.has(seen.get(id) ?? ''))) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const missing = ids.filter(({ id }) => !seen.has(id));
    log(
      missing.length === 0
        ? `demo: done. See a message's events with: ${cliHint(['history', ids[0]?.id ?? MESSAGE_ID_PLACEHOLDER], { local: true })}`
        : `demo: no item yet for ${missing.map((m) => m.id).join(', ')}`,
    );
  } finally {
    dynamodb.destroy();
  }
}
