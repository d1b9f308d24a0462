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
import { checkPortsFree, portClaims } from './start/ports';
import { stopOnSignals } from './start/shutdown';
import { forgetSynth, recordSynth, reuseDecision, synthInputs } from './start/synth-cache';
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
    ...(options.probeMode !== undefined ? { probeMode: options.probeMode } : {}),
    onEvent: (event) => {
      const text = describeSimulatorEvent(event);
      if (text) log({ kind: 'log', function: 'volt', stream: 'stdout', line: text });
    },
  });
}

/** Synthesizes into `outdir`, unless the assembly there was made from the same inputs (or `--no-synth`). */
async function synthIfChanged(options: StartOptions, outdir: string, context: Record<string, string>): Promise<void> {
  if (!options.synth) {
    console.log(`reusing ${path.relative(PROJECT_ROOT, outdir)} (--no-synth)`);
    return;
  }
  const inputs = synthInputs(PROJECT_ROOT, context);
  const decision = options.forceSynth ? { reuse: false, reason: '--force-synth' } : reuseDecision(outdir, inputs);
  if (decision.reuse) {
    console.log(
      `reusing ${path.relative(PROJECT_ROOT, outdir)}: sources, context and package-lock.json unchanged since its synth (--force-synth synthesizes anyway)`,
    );
    return;
  }
  console.log(`synthesizing the app with local context (${decision.reason})...`);
  const started = performance.now();
  forgetSynth(outdir);
  await synthesize({ outdir, context });
  recordSynth(outdir, inputs);
  console.log(`synthesized in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function synthAndStart(
  options: StartOptions,
  key: LocalSigningKey,
  simulator: VoltSimulator,
  log: Log,
): Promise<LocalStack> {
  const outdir = path.join(LOCAL_DIR, 'cdk.out');
  const context = synthContext(options, {
    publicKeyPem: key.publicKeyPem,
    voltApiUrl: simulator.graphqlUrl,
    tokenSecret: SECRET_NAME,
  });
  await synthIfChanged(options, outdir, context);
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
  // Before anything slow: a stack still running on these ports fails the start in a moment.
  await checkPortsFree(portClaims(options));
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
  console.log(readyBanner(stack, simulator, (performance.now() - started) / 1000, LOCAL_STACK_FILE, PROJECT_ROOT));

  if (options.demo) {
    try {
      await runDemo({ stack, simulator, log: (line) => console.log(line) });
    } catch (err: unknown) {
      log({ kind: 'error', message: `demo failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
}

/** node:util parseArgs errors (an unknown flag, a flag without its value), recognised by code. */
function isParseArgsError(err: unknown): err is Error {
  return String((err as NodeJS.ErrnoException | undefined)?.code ?? '').startsWith('ERR_PARSE_ARGS');
}

main().catch((err: unknown) => {
  const usage = err instanceof UsageError || isParseArgsError(err);
  console.error(
    usage
      ? `npm start: ${(err as Error).message}\n\n${HELP}`
      : `npm start failed: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exitCode = usage ? 2 : 1;
});
