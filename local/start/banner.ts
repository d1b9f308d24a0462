import { deadLetterRole, deadLetterSourceRole, STATE_QUEUE_ROLE } from '../../lib/template-contract';
import { STANDIN_SERVICE_NAMES, STANDIN_SERVICES } from '../endpoints';
import { messagesTable, type LocalStack } from '../model';
import type { SimulatorEvent, VoltSimulator } from '../volt-simulator';

/** What `npm start` prints: the ready banner with the next steps, and the simulator's events. */

const label = (text: string) => `  ${text.padEnd(17)}`;

function endpointLines(stack: LocalStack): string[] {
  const table = messagesTable(stack);
  return STANDIN_SERVICE_NAMES.map((service) => {
    const tableNote =
      service !== 'dynamodb' ? '' : table ? `  table ${table.name}` : '  (no table in the template yet)';
    return `${label(STANDIN_SERVICES[service].label)}${stack.endpoints[service]}${tableNote}`;
  });
}

/** One-liners for what to try next, with this stack's names and endpoints. */
function nextSteps(stack: LocalStack): string[] {
  const aws = `AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --region ${stack.region}`;
  const table = messagesTable(stack);
  const stateDlq = stack.queues.find((q) => q.key === deadLetterRole(STATE_QUEUE_ROLE));
  // The first queue that is neither the state queue nor a DLQ: a subscriber's, or the quarantine when there is none.
  const subscriber = stack.queues.find((q) => q.key !== STATE_QUEUE_ROLE && deadLetterSourceRole(q.key) === undefined);
  return [
    'next steps (in another terminal):',
    '  send a message    npm run cli -- send --local --to +15555550123 --from +15555550100 --body "hello"',
    '  query a status    npm run cli -- status <rf_... id printed by send> --local',
    ...(table
      ? [
          `                    ${aws} --endpoint-url ${stack.dynamodbEndpoint} dynamodb get-item --table-name ${table.name} --key '{"messageId":{"S":"rf_..."}}'`,
        ]
      : []),
    ...(subscriber
      ? [
          `  read ${subscriber.key.padEnd(12)} ${aws} --endpoint-url ${stack.sqsEndpoint} sqs receive-message --queue-url ${subscriber.url} --message-attribute-names All`,
        ]
      : []),
    `  the state DLQ     ${aws} --endpoint-url ${stack.sqsEndpoint} sqs get-queue-attributes --queue-url ${stateDlq?.url ?? '<dlq url>'} --attribute-names ApproximateNumberOfMessages`,
    '  demo              npm run demo',
  ];
}

export function readyBanner(stack: LocalStack, simulator: VoltSimulator, seconds: number, stackFile: string): string {
  return [
    '',
    `local stack ${stack.stackName} ready in ${seconds.toFixed(1)} s`,
    `${label('webhook URL')}${stack.webhookUrl ?? '(no WebhookUrl output)'}`,
    ...endpointLines(stack),
    `${label('Volt simulator')}${simulator.graphqlUrl}  (token ${simulator.token})`,
    `${label('queues')}${[...new Set(stack.queues.map((q) => q.key))].join(', ')}`,
    `${label('functions')}${[...stack.functions.values()].map((f) => f.definition.displayName).join(', ')}`,
    `${label('described in')}${stackFile}`,
    '',
    ...nextSteps(stack),
    '',
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
}

/** A live log line for what the simulator did; `undefined` for what is not worth one. */
export function describeSimulatorEvent(event: SimulatorEvent): string | undefined {
  switch (event.type) {
    case 'webhook.registered':
      return `registered webhook ${event.webhook.id} -> ${event.webhook.url}`;
    case 'webhook.deleted':
      return `deleted webhook ${event.webhook.id}`;
    case 'message.created':
      return `createMessage ${event.messageId} ${event.from} -> ${event.to}${event.willFail ? ' (will fail)' : ''}`;
    case 'inbound.created':
      return `inbound ${event.messageAppId} ${event.from} -> ${event.to}`;
    case 'delivery': {
      const r = event.record;
      const what = r.kind === 'duplicate' ? 'duplicate' : r.kind === 'test' ? 'test request' : `delivery #${r.attempt}`;
      return `${what} ${r.eventType} ${r.eventId}: ${r.status !== undefined ? `HTTP ${r.status}` : (r.error ?? 'error')}`;
    }
    case 'delivery.gave-up':
      return `gave up on ${event.eventType} ${event.eventId} after ${event.attempts} attempts`;
  }
}
