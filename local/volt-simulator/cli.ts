// Runs the Volt simulator from the command line:
//   npx tsx local/volt-simulator/cli.ts --port 4010 --token local-dev-token
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_SIMULATOR_TOKEN,
  FAILING_RECIPIENTS,
  SimulatorStartError,
  startVoltSimulator,
  type DeliveryOptions,
  type SimulatorEvent,
  type VoltSimulator,
  type VoltSimulatorOptions,
  parseProbeMode,
} from './index';

const HELP = `Usage: npx tsx local/volt-simulator/cli.ts [options]

A local stand-in for Volt's GraphQL API and its signed webhook deliveries.

  --port <n>              port to listen on (default 0: a free port, printed at start)
  --host <addr>           interface to listen on (default 127.0.0.1)
  --token <t>             API token to accept as "Authorization: Bearer <t>" (default ${DEFAULT_SIMULATOR_TOKEN})
  --private-key <file>    RSA private key (PEM) to sign with; created (2048-bit) when the file does not exist.
                          Default: a fresh key per run, not written anywhere
  --auth-failure <mode>   graphql-error (HTTP 200 with errors, default) or http-401
  --no-delete             leave deleteWebhook out of the schema
  --delay <ms>            wait before a message's first webhook (default 0)
  --gap <ms>              wait between message.sent and message.finalized (default 20)
  --duplicates <n>        send every delivered webhook n more times (default 0)
  --reorder               deliver message.finalized before message.sent
  --max-attempts <n>      attempts per delivery until a 2xx (default 5)
  --retry-base <ms>       first retry delay, doubled per retry (default 200)
  --probe <mode>          how registerWebhook's test request is signed: signed (default scheme, the
                          default), unsigned, or other-scheme (PSS, as if Volt used another scheme)
  --quiet                 print only the start banner

Messages to these numbers fail: ${Object.keys(FAILING_RECIPIENTS).join(', ')}.`;

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number >= 0, got "${value}"`);
  return n;
}

function describe(event: SimulatorEvent): string {
  switch (event.type) {
    case 'webhook.registered':
      return `registered webhook ${event.webhook.id} -> ${event.webhook.url}`;
    case 'webhook.deleted':
      return `deleted webhook ${event.webhook.id} (${event.webhook.url})`;
    case 'message.created':
      return `createMessage ${event.messageId} ${event.from} -> ${event.to}${event.willFail ? ' (will fail)' : ''}`;
    case 'inbound.created':
      return `inbound ${event.messageAppId} ${event.from} -> ${event.to}`;
    case 'delivery': {
      const r = event.record;
      const outcome = r.status !== undefined ? `HTTP ${r.status}` : `error ${r.error ?? ''}`;
      return `${r.kind === 'duplicate' ? 'duplicate' : `attempt ${r.attempt}`} ${r.eventType} ${r.eventId} -> ${r.url}: ${outcome}`;
    }
    case 'delivery.gave-up':
      return `gave up on ${event.eventType} ${event.eventId} -> ${event.url} after ${event.attempts} attempts`;
  }
}

const CLI_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  token: { type: 'string' },
  'private-key': { type: 'string' },
  'auth-failure': { type: 'string' },
  'no-delete': { type: 'boolean', default: false },
  delay: { type: 'string' },
  gap: { type: 'string' },
  duplicates: { type: 'string' },
  reorder: { type: 'boolean', default: false },
  'max-attempts': { type: 'string' },
  'retry-base': { type: 'string' },
  probe: { type: 'string' },
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type CliValues = ReturnType<typeof parseArgs<{ options: typeof CLI_OPTIONS; strict: true }>>['values'];

/** Only the delivery flags given, so the simulator's defaults fill the rest. */
function deliveryFrom(values: CliValues): Partial<DeliveryOptions> {
  return Object.fromEntries(
    Object.entries({
      delayMs: intOption('delay', values.delay),
      gapMs: intOption('gap', values.gap),
      duplicates: intOption('duplicates', values.duplicates),
      maxAttempts: intOption('max-attempts', values['max-attempts']),
      retryBaseMs: intOption('retry-base', values['retry-base']),
      reorder: values.reorder || undefined,
    }).filter(([, v]) => v !== undefined),
  );
}

function simulatorOptions(values: CliValues): VoltSimulatorOptions {
  const authFailure = values['auth-failure'];
  if (authFailure !== undefined && authFailure !== 'graphql-error' && authFailure !== 'http-401') {
    throw new Error(`--auth-failure must be graphql-error or http-401, got "${authFailure}"`);
  }
  const keyFile = values['private-key'];
  const delivery = deliveryFrom(values);
  return {
    port: intOption('port', values.port) ?? 0,
    ...(values.host ? { host: values.host } : {}),
    ...(values.token ? { token: values.token } : {}),
    ...(keyFile && existsSync(keyFile) ? { privateKeyFile: keyFile } : {}),
    ...(authFailure ? { authFailure } : {}),
    supportsDelete: !values['no-delete'],
    ...(values.probe !== undefined ? { probeMode: parseProbeMode(values.probe, '--probe') } : {}),
    delivery,
    ...(values.quiet ? {} : { onEvent: (event: SimulatorEvent) => console.log(`[volt] ${describe(event)}`) }),
  };
}

function printBanner(simulator: VoltSimulator, keyFile: string | undefined): void {
  console.log(`Volt simulator listening on ${simulator.url}`);
  console.log(`  GraphQL:    ${simulator.graphqlUrl}  (Authorization: Bearer ${simulator.token})`);
  console.log(`  Public key: ${simulator.publicKeyUrl}`);
  console.log(`  Handset:    POST ${simulator.url}/control/inbound {"from","to","body"}`);
  if (keyFile) console.log(`  Signing key: ${keyFile}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: CLI_OPTIONS, strict: true });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const keyFile = values['private-key'];
  const simulator = await startVoltSimulator(simulatorOptions(values));
  // A key file that did not exist gets the fresh key, so the next run signs with the same one.
  if (keyFile && !existsSync(keyFile)) {
    mkdirSync(path.dirname(path.resolve(keyFile)), { recursive: true });
    writeFileSync(keyFile, simulator.privateKeyPem, { mode: 0o600 });
  }
  printBanner(simulator, keyFile);

  const shutdown = () => {
    simulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof SimulatorStartError || err instanceof Error ? err.message : String(err));
  if (!(err instanceof SimulatorStartError)) console.error(`\n${HELP}`);
  process.exitCode = 1;
});
