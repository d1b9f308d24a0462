import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startLocalStack, type LocalStack } from '../local/stack';
import { synthBenchAssembly } from './assembly';
import { buildStream } from './events';
import { drainAndVerify, latencySummary, sendAll } from './pipeline';
import { round } from './stats';

/**
 * `npm run test:load`: at least 20,000 signed events, 10% duplicates, in shuffled order, at a
 * concurrency of 50, through the local stack built from the synthesized template (loopback
 * only). Passes when every message's item equals the model's, every DLQ is empty, the state
 * queue is drained, nothing was quarantined and the subscriber queue holds every event it subscribed to. Gives up,
 * failing, after the time limit.
 * Options: `--outbound=N` (default 9000; two events each), `--inbound=N` (default 1000),
 * `--concurrency=N` (default 50), `--minutes=N` (default 10).
 */

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const OUTBOUND = Number(args.get('outbound') ?? 9000);
const INBOUND = Number(args.get('inbound') ?? 1000);
const CONCURRENCY = Number(args.get('concurrency') ?? 50);
const MINUTES = Number(args.get('minutes') ?? 10);

async function main(): Promise<void> {
  const deadline = Date.now() + MINUTES * 60_000;
  const workDir = mkdtempSync(path.join(tmpdir(), 'volt-load-'));
  let stack: LocalStack | undefined;
  try {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const outdir = path.join(workDir, 'cdk.out');
    console.log('synthesizing the app...');
    await synthBenchAssembly(outdir, publicKey.export({ format: 'pem', type: 'spki' }).toString());
    let failedBatches = 0;
    stack = await startLocalStack({
      cdkOut: outdir,
      onEvent: (e) => {
        if (e.kind === 'batch' && (e.error || e.failedMessageIds.length > 0)) failedBatches++;
      },
    });
    if (!stack.webhookUrl) throw new Error('the local stack has no webhook URL');
    const stream = buildStream({
      outbound: OUTBOUND,
      inbound: INBOUND,
      duplicateRate: 0.1,
      order: { kind: 'shuffle' },
      seed: 20_000,
    });
    const received = stream.events.filter((e) => e.body.includes('"message.received"')).length;
    console.log(
      `sending ${stream.events.length} events (${stream.distinct} distinct, ${stream.expected.size} messages) at concurrency ${CONCURRENCY} to ${stack.webhookUrl}`,
    );
    const t0 = performance.now();
    const sent = await sendAll(
      stack.webhookUrl,
      createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })),
      stream.events,
      CONCURRENCY,
      deadline,
    );
    console.log(
      `accepted all in ${round(sent.sendMs / 1000, 1)} s (${sent.retries} retries after 503 or connection errors); waiting for the consumer...`,
    );
    const drained = await drainAndVerify(stack, stream, t0, deadline);
    const lat = latencySummary(sent.latenciesMs);
    const figures = {
      events: stream.events.length,
      distinct: stream.distinct,
      messages: stream.expected.size,
      concurrency: CONCURRENCY,
      retries: sent.retries,
      acceptSeconds: round(sent.sendMs / 1000, 1),
      totalSeconds: round(drained.totalMs / 1000, 1),
      acceptedPerSecond: round(stream.events.length / (sent.sendMs / 1000), 0),
      storedPerSecond: round(stream.events.length / (drained.totalMs / 1000), 0),
      p50Ms: round(lat.p50, 1),
      p99Ms: round(lat.p99, 1),
      failedBatches,
      queueDepths: drained.queueDepths,
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
    if (Date.now() > deadline) problems.push(`gave up after ${MINUTES} minutes`);
    if (problems.length > 0) throw new Error(`load test FAILED:\n${problems.join('\n')}`);
    console.log(
      `load test passed: ${stream.events.length} events, every item as the model says, DLQs empty, nothing lost`,
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
