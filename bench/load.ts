import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { startLocalStack, type LocalStack } from '../local/stack';
import { synthBenchAssembly, type Assembly } from './assembly';
import { buildStream } from './events';
import { drainAndVerify, latencySummary, sendAtRate, signEvents } from './pipeline';
import { quantile, round } from './stats';

/**
 * `npm run test:load`: a campaign burst through the local stack built from the synthesized
 * template (loopback only). Signed events are started at a fixed rate (default 340/s, a
 * 100,000-message campaign sent over ten minutes: `message.sent` and `message.finalized` per
 * message plus replies) for a fixed time, whatever the answers; 10 % are delivered twice, in
 * shuffled order. A 503, 429 or refused connection is retried with backoff, as Volt is assumed
 * to. Then it waits for the consumer and checks every message's item against the model.
 *
 * Fails (exit code 1) when any item differs from the model, a DLQ or the quarantine holds a
 * message, the subscriber's count is off, the stage throttled a rate it is configured to carry,
 * the accepted rate stayed at or below `--min-rate`, or the time limit passed. Whether the target
 * rate itself was reached is reported, with the machine's CPU figures when it was not.
 *
 * Options: `--rate=N` events/s (default 340), `--seconds=N` (default 30), `--max-in-flight=N`
 * (default 200), `--min-rate=N` (default 100, the stage's old default throttle), `--minutes=N`
 * time limit (default 15), `--throttle-rate=N --throttle-burst=N` (synthesize the stage with
 * these limits, e.g. the old 100/200, to see the throttle bind), `--defer-consumer` (start the
 * consumer only after the burst: on AWS it runs on other machines, here it shares the two cores).
 */

const USAGE = `Usage: npm run test:load -- [options]
  --rate=N             events started per second (default 340)
  --seconds=N          how long the burst lasts (default 30)
  --max-in-flight=N    requests open at once (default 200)
  --min-rate=N         fail when the accepted rate stays at or below N/s (default 100)
  --minutes=N          time limit of the whole run (default 15)
  --throttle-rate=N --throttle-burst=N
                       synthesize the stage with these limits (e.g. the old 100/200)
  --defer-consumer     start the consumer after the burst (on AWS it runs on other machines)
  --help               this text`;

const KNOWN_OPTIONS = new Set([
  'rate',
  'seconds',
  'max-in-flight',
  'min-rate',
  'minutes',
  'throttle-rate',
  'throttle-burst',
  'defer-consumer',
  'help',
]);
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const unknown = [...args.keys()].filter((name) => !KNOWN_OPTIONS.has(name));
// A mistyped option would otherwise start a 30-second burst with the defaults.
if (unknown.length > 0 || args.has('help')) {
  if (unknown.length > 0) console.error(`unknown option: --${unknown.join(', --')}`);
  console.log(USAGE);
  process.exit(unknown.length > 0 ? 2 : 0);
}
const RATE = Number(args.get('rate') ?? 340);
const SECONDS = Number(args.get('seconds') ?? 30);
const MAX_IN_FLIGHT = Number(args.get('max-in-flight') ?? 200);
const MIN_RATE = Number(args.get('min-rate') ?? 100);
const MINUTES = Number(args.get('minutes') ?? 15);
const THROTTLE_RATE = args.get('throttle-rate');
const THROTTLE_BURST = args.get('throttle-burst');
/** Start the consumer only once every event was accepted: the edge alone gets the machine's CPU during the burst. */
const DEFER_CONSUMER = args.has('defer-consumer');
/** Volt delivers some events twice. */
const DUPLICATE_RATE = 0.1;
/** Inbound replies per outbound message in the campaign. */
const REPLY_RATE = 0.04;

/** The stage's throttle as the synthesized template sets it: what the local HTTP API enforces. */
function stageThrottle(assembly: Assembly): { rate: number; burst: number } {
  const stage = Object.values(assembly.resources).find((r) => r.Type === 'AWS::ApiGatewayV2::Stage');
  const settings = stage?.Properties?.['DefaultRouteSettings'] as
    { ThrottlingRateLimit?: number; ThrottlingBurstLimit?: number } | undefined;
  if (settings?.ThrottlingRateLimit === undefined || settings.ThrottlingBurstLimit === undefined)
    throw new Error('the synthesized stage sets no throttle');
  return { rate: settings.ThrottlingRateLimit, burst: settings.ThrottlingBurstLimit };
}

async function main(): Promise<void> {
  const deadline = Date.now() + MINUTES * 60_000;
  const workDir = mkdtempSync(path.join(tmpdir(), 'volt-load-'));
  let stack: LocalStack | undefined;
  try {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const outdir = path.join(workDir, 'cdk.out');
    console.log('synthesizing the app...');
    const assembly = await synthBenchAssembly(outdir, publicKey.export({ format: 'pem', type: 'spki' }).toString(), {
      ...(THROTTLE_RATE !== undefined ? { throttleRateLimit: THROTTLE_RATE } : {}),
      ...(THROTTLE_BURST !== undefined ? { throttleBurstLimit: THROTTLE_BURST } : {}),
    });
    const throttle = stageThrottle(assembly);
    let failedBatches = 0;
    stack = await startLocalStack({
      cdkOut: outdir,
      eventSources: !DEFER_CONSUMER,
      onEvent: (e) => {
        if (e.kind === 'batch' && (e.error || e.failedMessageIds.length > 0)) failedBatches++;
      },
    });
    if (!stack.webhookUrl) throw new Error('the local stack has no webhook URL');

    // Events per outbound message: sent + finalized, replies, and duplicates on all of them.
    const perOutbound = (2 + REPLY_RATE) * (1 + DUPLICATE_RATE);
    const outbound = Math.max(1, Math.round((RATE * SECONDS) / perOutbound));
    const stream = buildStream({
      outbound,
      inbound: Math.round(outbound * REPLY_RATE),
      duplicateRate: DUPLICATE_RATE,
      order: { kind: 'shuffle' },
      seed: 20_000,
    });
    const received = stream.events.filter((e) => e.body.includes('"message.received"')).length;
    console.log(
      `signing ${stream.events.length} events (${stream.distinct} distinct, ${stream.expected.size} messages); ` +
        `then sending them at ${RATE}/s for ${round(stream.events.length / RATE, 1)} s, at most ${MAX_IN_FLIGHT} in flight, ` +
        `to ${stack.webhookUrl} (stage throttle ${throttle.rate}/s, bucket ${throttle.burst})`,
    );
    const signed = signEvents(createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })), stream.events);
    const cpuBefore = process.cpuUsage();
    const loadBefore = loadavg()[0] ?? 0;
    const t0 = performance.now();
    const sent = await sendAtRate(stack.webhookUrl, signed, { rate: RATE, maxInFlight: MAX_IN_FLIGHT, deadline });
    const cpu = process.cpuUsage(cpuBefore);
    const loadAfter = loadavg()[0] ?? 0;
    const acceptSeconds = sent.acceptMs / 1000;
    const acceptedRate = stream.events.length / acceptSeconds;
    // Whole seconds of the burst only: the first and the last are partial.
    const fullSeconds = sent.acceptedPerSecond.slice(1, -1);
    console.log(`accepted all in ${round(acceptSeconds, 1)} s; waiting for the consumer to store everything...`);
    if (DEFER_CONSUMER) stack.startEventSources();
    const drained = await drainAndVerify(stack, stream, t0, deadline, { drainArchive: true });
    const lat = latencySummary(sent.latenciesMs);
    const throttled = sent.retriedByStatus['429'] ?? 0;
    const figures = {
      targetPerSecond: RATE,
      consumerDuringBurst: !DEFER_CONSUMER,
      events: stream.events.length,
      distinct: stream.distinct,
      messages: stream.expected.size,
      stageThrottle: throttle,
      offeredPerSecond: round(stream.events.length / (sent.dispatchMs / 1000), 0),
      acceptedPerSecond: round(acceptedRate, 0),
      acceptedPerWholeSecond: {
        min: Math.min(...fullSeconds),
        p10: quantile(fullSeconds, 0.1),
        median: quantile(fullSeconds, 0.5),
        max: Math.max(...fullSeconds),
      },
      dispatchLagMs: {
        p50: round(sent.dispatchLagMs.p50, 0),
        p99: round(sent.dispatchLagMs.p99, 0),
        max: round(sent.dispatchLagMs.max, 0),
      },
      peakInFlight: sent.peakInFlight,
      retriedByStatus: sent.retriedByStatus,
      p50Ms: round(lat.p50, 1),
      p99Ms: round(lat.p99, 1),
      acceptSeconds: round(acceptSeconds, 1),
      totalSeconds: round(drained.totalMs / 1000, 1),
      storedPerSecond: round(stream.events.length / (drained.totalMs / 1000), 0),
      failedBatches,
      queueDepths: drained.queueDepths,
      machine: {
        cores: cpus().length,
        // Everything runs in this process: the sender, the HTTP API, the functions' workers and the stand-ins.
        processCpuCoresDuringSend: round((cpu.user + cpu.system) / 1000 / sent.acceptMs, 2),
        loadAverage1m: { before: round(loadBefore, 2), after: round(loadAfter, 2) },
      },
    };
    console.log(JSON.stringify(figures, null, 2));

    const problems: string[] = [];
    if (drained.mismatches.length > 0)
      problems.push(
        `${drained.mismatches.length} items differ from the model, e.g.\n  ${drained.mismatches.slice(0, 10).join('\n  ')}`,
      );
    for (const [key, depth] of Object.entries(drained.queueDepths)) {
      // Every queue but the subscriber's is drained by the pipeline or must stay empty (DLQs, quarantine).
      if (key !== 'crm' && depth > 0) problems.push(`${depth} messages left in ${key}`);
    }
    if (drained.queueDepths['crm'] !== received)
      problems.push(`the crm subscriber queue holds ${drained.queueDepths['crm']} messages, expected ${received}`);
    if (throttled > 0 && throttle.rate >= RATE)
      problems.push(`the stage answered 429 ${throttled} times at ${RATE}/s, under its own ${throttle.rate}/s limit`);
    if (acceptedRate <= MIN_RATE)
      problems.push(`accepted only ${round(acceptedRate, 0)} events/s, not above ${MIN_RATE}/s`);
    if (Date.now() > deadline) problems.push(`gave up after ${MINUTES} minutes`);

    const reached = acceptedRate >= RATE * 0.95;
    console.log(
      reached
        ? `sustained the target: ${round(acceptedRate, 0)} events/s accepted against ${RATE}/s offered`
        : `did NOT sustain ${RATE}/s: ${round(acceptedRate, 0)} events/s accepted (the sender started them at ` +
            `${figures.offeredPerSecond}/s, ${sent.dispatchLagMs.p99 > 1000 ? 'falling behind its schedule' : 'on schedule'}); ` +
            `${throttled} answered 429, so the stage throttle (${throttle.rate}/s) was ${throttled > 0 ? 'a' : 'not the'} limit; ` +
            `this process used ${figures.machine.processCpuCoresDuringSend} of ${figures.machine.cores} cores, load average ${round(loadAfter, 1)}`,
    );
    if (problems.length > 0) throw new Error(`load test FAILED:\n${problems.join('\n')}`);
    console.log(
      `load test passed: ${stream.events.length} events at ${round(acceptedRate, 0)}/s, every item as the model says, DLQs empty, nothing lost`,
    );
  } finally {
    await stack?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
