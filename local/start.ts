// `npm start`: synthesizes the app with local context, runs the whole stack on this machine
// from that template, and writes `.local/stack.json` for the CLI and scripts.
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { REGISTRATION_RESOURCE_TYPE } from '../lib/template-contract';
import { runDemo } from './demo';
import { createLiveLog } from './live-log';
import type { LocalStackEvent } from './model';
import { startLocalStack, type LocalStack } from './stack';
import { LOCAL_STACK_FILE, localStackFileOf, writeLocalStackFile } from './stack-file';
import { describeSimulatorEvent, readyBanner } from './start/banner';
import { HELP, parseStartOptions, portHint, synthContext, UsageError, type StartOptions } from './start/options';
import { stopOnSignals } from './start/shutdown';
import { localSigningKey, PROJECT_ROOT, synthesize, type LocalSigningKey } from './synth';
import { DEFAULT_SIMULATOR_TOKEN, startVoltSimulator, type VoltSimulator } from './volt-simulator';

const LOCAL_DIR = path.join(PROJECT_ROOT, '.local');
const SECRET_NAME = 'volt/local-api-token';

type Log = (event: LocalStackEvent) => void;

/** The simulator comes first: its URL goes into the template (voltApiUrl), as Volt's would. */
function startSimulator(options: StartOptions, key: LocalSigningKey, log: Log): Promise<VoltSimulator> {
  return startVoltSimulator({
    port: options.voltPort,
    privateKeyFile: key.privateKeyFile,
    token: DEFAULT_SIMULATOR_TOKEN,
    onEvent: (event) => {
      const text = describeSimulatorEvent(event);
      if (text) log({ kind: 'log', function: 'volt', stream: 'stdout', line: text });
    },
  });
}

async function synthAndStart(
  options: StartOptions,
  key: LocalSigningKey,
  simulator: VoltSimulator,
  log: Log,
): Promise<LocalStack> {
  const outdir = path.join(LOCAL_DIR, 'cdk.out');
  if (options.synth) {
    console.log('synthesizing the app with local context...');
    const started = performance.now();
    const context = synthContext(options, {
      publicKeyPem: key.publicKeyPem,
      voltApiUrl: simulator.graphqlUrl,
      tokenSecret: SECRET_NAME,
    });
    await synthesize({ outdir, context });
    console.log(`synthesized in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return startLocalStack({
    cdkOut: outdir,
    ports: options.ports,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    secrets: { [SECRET_NAME]: simulator.token },
    onEvent: log,
    portHint,
  });
}

/** Without the registration resource in the template, the runner registers the URL itself. */
async function ensureRegistered(stack: LocalStack, simulator: VoltSimulator, log: Log): Promise<void> {
  if (!stack.webhookUrl || stack.customResources.some((c) => c.type === REGISTRATION_RESOURCE_TYPE)) return;
  await simulator.registerWebhook(stack.webhookUrl);
  log({
    kind: 'warn',
    message: `the template has no ${REGISTRATION_RESOURCE_TYPE}: the runner registered the webhook URL with the simulator itself`,
  });
}

async function main(): Promise<void> {
  const options = parseStartOptions(process.argv.slice(2));
  if (options === 'help') {
    console.log(HELP);
    return;
  }
  const started = performance.now();
  // The runner's own clients run on this machine's Node, not the function's Lambda runtime.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
  const log = createLiveLog({ color: process.stdout.isTTY === true });
  const key = localSigningKey(LOCAL_DIR);
  const simulator = await startSimulator(options, key, log);

  const stackFile = path.join(PROJECT_ROOT, LOCAL_STACK_FILE);
  let stack: LocalStack | undefined;
  let wroteStackFile = false;
  const stop = stopOnSignals(async () => {
    await stack?.stop();
    await simulator.stop();
    // Only our own file: a second start that failed on a taken port must not remove the running stack's.
    if (wroteStackFile) rmSync(stackFile, { force: true });
  });
  try {
    stack = await synthAndStart(options, key, simulator, log);
  } catch (err: unknown) {
    await stop(1);
    throw err;
  }
  await ensureRegistered(stack, simulator, log);
  writeLocalStackFile(stackFile, localStackFileOf(stack, simulator, key.privateKeyFile));
  wroteStackFile = true;
  console.log(readyBanner(stack, simulator, (performance.now() - started) / 1000, LOCAL_STACK_FILE));

  if (options.demo) {
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
