// `npm start`: synthesizes the app with local context, runs the whole stack on this machine
// from that template, and writes `.local/stack.json` for the CLI and scripts.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SIMULATOR_TOKEN, startVoltSimulator, type SimulatorEvent, type VoltSimulator } from './volt-simulator';
import { createLiveLog } from './live-log';
import { startLocalStack, type LocalStack, type LocalStackPorts } from './stack';
import { localSigningKey, PROJECT_ROOT, synthesize } from './synth';
import { runDemo } from './demo';

const HELP = `Usage: npm start -- [options]      (or: npx tsx local/start.ts [options])

Runs the stack on this machine from its synthesized template: HTTP API, ingest, queues, consumer,
DynamoDB table, registration with a local Volt simulator. State is in memory unless --data-dir.

  --port <n>            HTTP API port (env LOCAL_HTTP_PORT, default 3000)
  --sqs-port <n>        SQS stand-in port (env LOCAL_SQS_PORT, default 9324)
  --dynamodb-port <n>   DynamoDB stand-in port (env LOCAL_DYNAMODB_PORT, default 8000)
  --secrets-port <n>    Secrets Manager stand-in port (env LOCAL_SECRETS_PORT, default 0)
  --volt-port <n>       Volt simulator port (env LOCAL_VOLT_PORT, default 4010)
                        0 for any port picks a free one
  --subscribers <json>  subscriber queues, e.g. '[{"name":"crm","eventTypes":["message.received"]}]'
                        (default: cdk.json's, else one "inbox" subscriber for message.received)
  --context k=v         more CDK context for the synth (repeatable); e.g. logLevel=INFO
                        (local default DEBUG: a line per accepted webhook in the live log)
  --data-dir <dir>      keep DynamoDB data in this directory between runs
  --no-synth            reuse .local/cdk.out from the last run (same --volt-port and options)
  --demo                send a few messages through the simulator and show their statuses
  --help`;

const LOCAL_DIR = path.join(PROJECT_ROOT, '.local');
const SECRET_NAME = 'volt/local-api-token';

function portOption(flag: string, value: string | undefined, envName: string, fallback: number): number {
  const text = value ?? process.env[envName];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--${flag} (or ${envName}) must be a port number 0-65535, got "${text}"`);
  return n;
}

class UsageError extends Error {}

/** cdk.json (and cdk.context.json) context, to know whether the user configured subscribers. */
function configuredContext(key: string): unknown {
  for (const file of ['cdk.json', 'cdk.context.json']) {
    try {
      const json = JSON.parse(readFileSync(path.join(PROJECT_ROOT, file), 'utf8')) as {
        context?: Record<string, unknown>;
      };
      const value = file === 'cdk.json' ? json.context?.[key] : (json as Record<string, unknown>)[key];
      if (value !== undefined) return value;
    } catch {
      // Absent or unreadable: cdk synth reports a broken cdk.json itself.
    }
  }
  return undefined;
}

function describeSimulatorEvent(event: SimulatorEvent): string | undefined {
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
      return `${r.kind === 'duplicate' ? 'duplicate' : r.kind === 'test' ? 'test request' : `delivery #${r.attempt}`} ${r.eventType} ${r.eventId}: ${r.status !== undefined ? `HTTP ${r.status}` : (r.error ?? 'error')}`;
    }
    case 'delivery.gave-up':
      return `gave up on ${event.eventType} ${event.eventId} after ${event.attempts} attempts`;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'sqs-port': { type: 'string' },
      'dynamodb-port': { type: 'string' },
      'secrets-port': { type: 'string' },
      'volt-port': { type: 'string' },
      subscribers: { type: 'string' },
      context: { type: 'string', multiple: true },
      'data-dir': { type: 'string' },
      'no-synth': { type: 'boolean', default: false },
      demo: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const started = performance.now();
  const ports: Required<LocalStackPorts> = {
    http: portOption('port', values.port, 'LOCAL_HTTP_PORT', 3000),
    sqs: portOption('sqs-port', values['sqs-port'], 'LOCAL_SQS_PORT', 9324),
    dynamodb: portOption('dynamodb-port', values['dynamodb-port'], 'LOCAL_DYNAMODB_PORT', 8000),
    secretsManager: portOption('secrets-port', values['secrets-port'], 'LOCAL_SECRETS_PORT', 0),
  };
  const voltPort = portOption('volt-port', values['volt-port'], 'LOCAL_VOLT_PORT', 4010);
  if (values['no-synth'] && voltPort === 0)
    throw new UsageError('--no-synth reuses a template that holds the simulator URL: give a fixed --volt-port, not 0');
  const flagFor: Record<keyof LocalStackPorts, string> = {
    http: '--port',
    sqs: '--sqs-port',
    dynamodb: '--dynamodb-port',
    secretsManager: '--secrets-port',
  };
  // The runner's own clients run on this machine's Node, not the function's Lambda runtime.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

  const color = process.stdout.isTTY === true;
  const log = createLiveLog({ color });
  const key = localSigningKey(LOCAL_DIR);

  // The simulator comes first: its URL goes into the template (voltApiUrl), as Volt's would.
  const simulator: VoltSimulator = await startVoltSimulator({
    port: voltPort,
    privateKeyFile: key.privateKeyFile,
    token: DEFAULT_SIMULATOR_TOKEN,
    onEvent: (event) => {
      const text = describeSimulatorEvent(event);
      if (text) log({ kind: 'log', function: 'volt', stream: 'stdout', line: text });
    },
  });

  const outdir = path.join(LOCAL_DIR, 'cdk.out');
  const context: Record<string, string> = {
    voltPublicKeys: JSON.stringify([key.publicKeyPem]),
    voltApiUrl: simulator.graphqlUrl,
    voltApiTokenSecret: SECRET_NAME,
  };
  // Locally every accepted webhook gets its line in the live log; a deployed stack defaults to INFO.
  if (configuredContext('logLevel') === undefined) context['logLevel'] = 'DEBUG';
  if (values.subscribers !== undefined) context['subscribers'] = values.subscribers;
  else if (configuredContext('subscribers') === undefined)
    context['subscribers'] = JSON.stringify([{ name: 'inbox', eventTypes: ['message.received'] }]);
  for (const entry of values.context ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--context takes key=value, got "${entry}"`);
    context[entry.slice(0, eq)] = entry.slice(eq + 1);
  }

  let stack: LocalStack | undefined;
  let wroteStackFile = false;
  const stop = async (code: number) => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    console.log('\nstopping the local stack...');
    await stack?.stop();
    await simulator.stop();
    // Only our own file: a second start that failed on a taken port must not remove the running stack's.
    if (wroteStackFile) rmSync(path.join(LOCAL_DIR, 'stack.json'), { force: true });
    process.exitCode = code;
  };
  const onSignal = () => void stop(0);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    if (!values['no-synth']) {
      console.log('synthesizing the app with local context...');
      const synthStarted = performance.now();
      await synthesize({ outdir, context });
      console.log(`synthesized in ${((performance.now() - synthStarted) / 1000).toFixed(1)} s`);
    }
    stack = await startLocalStack({
      cdkOut: outdir,
      ports,
      ...(values['data-dir'] ? { dataDir: path.resolve(values['data-dir']) } : {}),
      secrets: { [SECRET_NAME]: simulator.token },
      onEvent: log,
      portHint: (service) => `pass ${flagFor[service]} <port> (0 = a free port)`,
    });
  } catch (err: unknown) {
    await stop(1);
    throw err;
  }

  const webhookUrl = stack.webhookUrl;
  // Without the registration resource in the template, the runner registers the URL itself.
  const registeredByStack = stack.customResources.some((c) => c.type === 'Custom::VoltWebhookRegistration');
  if (!registeredByStack && webhookUrl) {
    await simulator.registerWebhook(webhookUrl);
    log({
      kind: 'warn',
      message:
        'the template has no Custom::VoltWebhookRegistration: the runner registered the webhook URL with the simulator itself',
    });
  }

  const queueUrls = Object.fromEntries(stack.queues.map((q) => [q.key, q.url]));
  const table = stack.tables.find((t) => /MessageStore|Messages?Table/i.test(t.path ?? '')) ?? stack.tables[0];
  const stackFile = {
    webhookUrl,
    region: stack.region,
    sqsEndpoint: stack.sqsEndpoint,
    dynamodbEndpoint: stack.dynamodbEndpoint,
    secretsManagerEndpoint: stack.secretsManagerEndpoint,
    tableName: table?.name,
    queueUrls,
    voltApiUrl: simulator.graphqlUrl,
    voltToken: simulator.token,
    signingKeyFile: key.privateKeyFile,
  };
  mkdirSync(LOCAL_DIR, { recursive: true });
  writeFileSync(path.join(LOCAL_DIR, 'stack.json'), `${JSON.stringify(stackFile, null, 2)}\n`);
  wroteStackFile = true;

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const aws = `AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --region ${stack.region}`;
  const subscriber = stack.queues.find((q) => q.key !== 'state' && !q.key.endsWith('Dlq'));
  const lines = [
    '',
    `local stack ${stack.stackName} ready in ${seconds} s`,
    `  webhook URL      ${webhookUrl ?? '(no WebhookUrl output)'}`,
    `  SQS              ${stack.sqsEndpoint}`,
    `  DynamoDB         ${stack.dynamodbEndpoint}${table ? `  table ${table.name}` : '  (no table in the template yet)'}`,
    `  Secrets Manager  ${stack.secretsManagerEndpoint}`,
    `  Volt simulator   ${simulator.graphqlUrl}  (token ${simulator.token})`,
    `  queues           ${Object.keys(queueUrls).join(', ')}`,
    `  functions        ${[...stack.functions.values()].map((f) => f.definition.displayName).join(', ')}`,
    `  described in     .local/stack.json`,
    '',
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
    `  the state DLQ     ${aws} --endpoint-url ${stack.sqsEndpoint} sqs get-queue-attributes --queue-url ${queueUrls['stateDlq'] ?? '<dlq url>'} --attribute-names ApproximateNumberOfMessages`,
    '  demo              npm run demo',
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  console.log(lines.join('\n'));

  if (values.demo) {
    try {
      await runDemo({ stack, simulator, log: (line) => console.log(line) });
    } catch (err: unknown) {
      log({ kind: 'error', message: `demo failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
}

main().catch((err: unknown) => {
  console.error(
    err instanceof UsageError
      ? `${err.message}\n\n${HELP}`
      : `npm start failed: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exitCode = 1;
});
