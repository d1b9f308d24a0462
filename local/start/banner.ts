import { deadLetterRole, deadLetterSourceRole, STATE_QUEUE_ROLE } from '../../lib/template-contract';
import { cliHint, localAwsHint, MESSAGE_ID_PLACEHOLDER, messageKeyJson } from '../../cli/hints';
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

/** The numbers the banner's examples send from and to: the simulator owns any number; +15555550666 is its spam-blocked recipient. */
export const EXAMPLE_NUMBERS = { ours: '+15555550100', contact: '+15555550123', failing: '+15555550666' } as const;

/** One-liners for what to try next, with this stack's names and endpoints, each runnable as printed. */
export function nextSteps(stack: LocalStack, projectDir: string): string[] {
  const table = messagesTable(stack);
  const dynamodb = { region: stack.region, endpoint: stack.dynamodbEndpoint };
  const sqs = { region: stack.region, endpoint: stack.sqsEndpoint };
  const stateDlq = stack.queues.find((q) => q.key === deadLetterRole(STATE_QUEUE_ROLE));
  // The first queue that is neither the state queue nor a DLQ: a subscriber's, or the quarantine when there is none.
  const subscriber = stack.queues.find((q) => q.key !== STATE_QUEUE_ROLE && deadLetterSourceRole(q.key) === undefined);
  const local = { local: true };
  const { ours, contact, failing } = EXAMPLE_NUMBERS;
  const step = (what: string, command: string) => `  ${what.padEnd(17)} ${command}`;
  return [
    `next steps, in another terminal in ${projectDir} (${MESSAGE_ID_PLACEHOLDER}: the id send prints):`,
    step('send a message', cliHint(['send', '--to', contact, '--from', ours, '--body', 'hello'], local)),
    step('its status', cliHint(['status', MESSAGE_ID_PLACEHOLDER], local)),
    step('its events', cliHint(['history', MESSAGE_ID_PLACEHOLDER], local)),
    ...(table
      ? [
          step(
            'its item',
            localAwsHint(dynamodb, [
              'dynamodb',
              'get-item',
              '--table-name',
              table.name,
              '--key',
              messageKeyJson(MESSAGE_ID_PLACEHOLDER),
            ]),
          ),
        ]
      : []),
    step('a failing one', cliHint(['send', '--to', failing, '--from', ours, '--body', 'blocked as spam'], local)),
    step('failed messages', cliHint(['failed'], local)),
    ...(subscriber
      ? [
          step(
            `read ${subscriber.key}`,
            localAwsHint(sqs, [
              'sqs',
              'receive-message',
              '--queue-url',
              subscriber.url,
              '--message-attribute-names',
              'All',
            ]),
          ),
        ]
      : []),
    ...(stateDlq
      ? [
          step(
            'the state DLQ',
            localAwsHint(sqs, [
              'sqs',
              'get-queue-attributes',
              '--queue-url',
              stateDlq.url,
              '--attribute-names',
              'ApproximateNumberOfMessages',
            ]),
          ),
        ]
      : []),
    step('check it all', cliHint(['doctor'], local)),
  ];
}

export function readyBanner(
  stack: LocalStack,
  simulator: VoltSimulator,
  seconds: number,
  stackFile: string,
  projectDir: string,
): string {
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
    ...nextSteps(stack, projectDir),
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
