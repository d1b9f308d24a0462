import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { startLocalStack, type LocalStackEvent } from '../local/stack';
import { findBundle, synthBenchAssembly, type Bundle } from './assembly';
import { measureCold, type ColdResult } from './cold';
import { INGEST_VARIANTS, measureVariants } from './cold-variants';
import { buildStream, type Stream } from './events';
import { startFakeDynamoDb, startFakeSqs } from './fakes';
import { measureHot, type HotResult } from './hot';
import { drainAndVerify, latencySummary, sendAll } from './pipeline';
import { median, printTable, round, type Row } from './stats';
import { measureWrites, type WritesResult } from './writes';

/**
 * `npm run bench`: every figure of issue 7 point 1, each against a reference measured in the
 * same run, printed as a table and written to bench/results.json.
 * Options: `--only=hot,cold,variants,writes,e2e` (default all; variants needs cold), `--cold-runs=N` (default 21).
 */

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const only = new Set((args.get('only') ?? 'hot,cold,variants,writes,e2e').split(','));
const COLD_RUNS = Number(args.get('cold-runs') ?? 21);

/**
 * us-east-1 list prices as of 2025 (aws.amazon.com/{api-gateway,lambda,sqs,dynamodb,cloudwatch}/pricing);
 * check them before relying on the result. Free tiers are left out.
 */
export const PRICES = {
  asOf: '2025 (us-east-1 list prices; check current pricing pages)',
  httpApiPerMillionRequests: 1.0,
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  sqsStandardPerMillionRequests: 0.4,
  dynamoOnDemandPerMillionWriteUnits: 0.625,
  cloudWatchLogsPerGbIngested: 0.5,
} as const;

/** Assumptions for what cannot be measured on this machine: the AWS round trips inside a Lambda. */
const ASSUMED = {
  sqsSendRoundTripMs: 10,
  dynamoWriteRoundTripMs: 6,
  /** Lambda gives one full vCPU at 1,769 MB; below that, CPU time stretches in proportion. */
  fullCpuMemoryMb: 1769,
};

function signedBodies(stream: Stream, privateKeyPem: string) {
  const key = createPrivateKey(privateKeyPem);
  return stream.events.map((e) => ({
    body: e.body,
    signature: sign('sha256', Buffer.from(e.body), key).toString('base64'),
  }));
}

async function main(): Promise<void> {
  const started = new Date();
  const workDir = mkdtempSync(path.join(tmpdir(), 'volt-bench-'));
  const results: Record<string, unknown> = {
    date: started.toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGb: round(totalmem() / 2 ** 30, 1),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
  };
  const rows: Row[] = [];
  try {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const outdir = path.join(workDir, 'cdk.out');
    console.error('synthesizing the app (cdk synth)...');
    const stack = await synthBenchAssembly(outdir, publicKeyPem);
    const bundles: Record<'ingest' | 'consumer', Bundle> = {
      ingest: findBundle(stack, 'ingest'),
      consumer: findBundle(stack, 'consumer'),
    };
    results['bundles'] = Object.fromEntries(
      Object.values(bundles).map((b) => [b.name, { bytes: b.bytes, nodeOptions: b.nodeOptions, memoryMb: b.memoryMb }]),
    );

    const sample = buildStream({
      outbound: 80,
      inbound: 40,
      duplicateRate: 0,
      order: { kind: 'swap', rate: 0 },
      seed: 7,
    });
    const bodies = signedBodies(sample, privateKeyPem);

    let hot: Partial<Record<'ingest' | 'consumer', HotResult>> = {};
    let hotSdk: Partial<Record<'ingest' | 'consumer', HotResult>> = {};
    if (only.has('hot')) {
      console.error('hot path (warm CPU per event)...');
      const input = { publicKeyPem, bodies, rounds: 9, perRound: 2000 };
      hot = {
        ingest: await measureHot('ingest', 'send', input, workDir),
        consumer: await measureHot('consumer', 'send', input, workDir),
      };
      hotSdk = {
        ingest: await measureHot('ingest', 'transport', input, workDir),
        consumer: await measureHot('consumer', 'transport', input, workDir),
      };
      results['hot'] = { sendStubbed: hot, transportStubbed: hotSdk };
      for (const [stub, set] of [
        ['send stubbed', hot],
        ['SDK, transport stubbed', hotSdk],
      ] as const) {
        for (const [name, h] of Object.entries(set)) {
          rows.push({
            figure: `${name} warm CPU/event (${stub})`,
            value: `${round(median(h.handlerUs), 1)} µs`,
            reference: `${round(median(h.referenceUs), 1)} µs (${name === 'ingest' ? 'crypto.verify + JSON.parse' : 'JSON.parse + serialize one write'})`,
            ratio: `${round(h.ratio)}x`,
            target: name === 'ingest' && set === hot ? '<= 1.5x' : '-',
          });
        }
      }
    }

    let cold: Partial<Record<'ingest' | 'consumer', ColdResult>> = {};
    if (only.has('cold')) {
      console.error('cold load (fresh processes, alternating)...');
      const sqs = await startFakeSqs();
      const dynamo = await startFakeDynamoDb();
      try {
        const env: NodeJS.ProcessEnv = {
          PATH: process.env['PATH'],
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'bench',
          AWS_SECRET_ACCESS_KEY: 'bench',
          AWS_SESSION_TOKEN: 'bench',
          AWS_LAMBDA_FUNCTION_NAME: 'bench',
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
          // The SDK prints a support warning on Node < 22 (about 2.5 ms of a cold start here);
          // Lambda runs these bundles on Node 24, where it never does.
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          AWS_ENDPOINT_URL_SQS: sqs.endpoint,
          AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
          TARGET_QUEUES: JSON.stringify([
            { name: 'state', queueUrl: `${sqs.endpoint}/000000000000/state` },
            { name: 'crm', queueUrl: `${sqs.endpoint}/000000000000/crm`, eventTypes: ['message.received'] },
          ]),
          VOLT_PUBLIC_KEYS: JSON.stringify([publicKeyPem]),
          TABLE_NAME: 'messages',
        };
        const first = bodies[0];
        if (!first) throw new Error('no sample event');
        const httpEvent = {
          version: '2.0',
          routeKey: 'POST /webhooks',
          rawPath: '/webhooks',
          rawQueryString: '',
          headers: { 'content-type': 'application/json', 'x-respond-flow-signature': first.signature },
          requestContext: {
            http: { method: 'POST', path: '/webhooks', sourceIp: '127.0.0.1' },
            requestId: 'cold',
            stage: '$default',
          },
          body: first.body,
          isBase64Encoded: false,
        };
        const sqsEvent = {
          Records: [
            {
              messageId: 'cold-1',
              receiptHandle: 'rh',
              body: first.body,
              attributes: { ApproximateReceiveCount: '1' },
              messageAttributes: {},
              md5OfBody: '',
              eventSource: 'aws:sqs',
              eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:state',
              awsRegion: 'us-east-1',
            },
          ],
        };
        const ok = (r: unknown) =>
          typeof r === 'object' && r !== null && [200, 202].includes((r as { statusCode?: number }).statusCode ?? 0);
        const noFailures = (r: unknown) =>
          typeof r === 'object' &&
          r !== null &&
          Array.isArray((r as { batchItemFailures?: unknown[] }).batchItemFailures) &&
          (r as { batchItemFailures: unknown[] }).batchItemFailures.length === 0;
        const before = { sqs: sqs.requests(), dynamo: dynamo.requests() };
        cold = {
          ingest: await measureCold({
            bundle: bundles.ingest,
            event: httpEvent,
            env,
            accept: ok,
            runs: COLD_RUNS,
            workDir,
            label: 'ingest',
          }),
          consumer: await measureCold({
            bundle: bundles.consumer,
            event: sqsEvent,
            env,
            accept: noFailures,
            runs: COLD_RUNS,
            workDir,
            label: 'consumer',
          }),
        };
        if (only.has('variants')) {
          console.error('cold load of bundling variants...');
          const variants = await measureVariants({
            variants: INGEST_VARIANTS,
            event: httpEvent,
            env,
            accept: ok,
            runs: COLD_RUNS,
            workDir,
          });
          results['coldVariants'] = variants.map((v) => ({
            ...v.variant,
            bytes: v.bytes,
            medianBundleMs: median(v.cold.bundleMs),
            medianEmptyMs: median(v.cold.emptyMs),
            ratio: v.cold.ratio,
          }));
          for (const v of variants) {
            rows.push({
              figure: `ingest cold: ${v.variant.name} (${Math.round(v.bytes / 1024)} KB)`,
              value: `${round(median(v.cold.bundleMs), 1)} ms`,
              reference: `${round(median(v.cold.emptyMs), 1)} ms (empty handler)`,
              ratio: `${round(v.cold.ratio)}x`,
              target: '-',
            });
          }
        }
        // Every ingest run must have reached the (fake) queue, every consumer run the (fake) table.
        if (sqs.requests() - before.sqs < COLD_RUNS + 1 || dynamo.requests() - before.dynamo < COLD_RUNS + 1)
          throw new Error('cold runs did not call the fakes');
      } finally {
        await sqs.close();
        await dynamo.close();
      }
      results['cold'] = Object.fromEntries(
        Object.entries(cold).map(([k, c]) => [
          k,
          {
            ...c,
            medianBundleMs: median(c.bundleMs),
            medianEmptyMs: median(c.emptyMs),
            medianInsideMs: median(c.bundleInsideMs),
          },
        ]),
      );
      for (const [name, c] of Object.entries(cold)) {
        const b = bundles[name as 'ingest' | 'consumer'];
        rows.push({
          figure: `${name} cold load (${Math.round(b.bytes / 1024)} KB bundle)`,
          value: `${round(median(c.bundleMs), 1)} ms`,
          reference: `${round(median(c.emptyMs), 1)} ms (empty handler)`,
          ratio: `${round(c.ratio)}x`,
          target: '<= 1.5x',
        });
      }
    }

    let writes: WritesResult | undefined;
    if (only.has('writes')) {
      console.error('DynamoDB writes per event (dynalite)...');
      const stream = buildStream({
        outbound: 2000,
        inbound: 500,
        duplicateRate: 0.1,
        order: { kind: 'swap', rate: 0.1 },
        seed: 11,
      });
      writes = await measureWrites(stream);
      if (writes.mismatches.length > 0)
        throw new Error(`writes: items differ from the model:\n${writes.mismatches.slice(0, 10).join('\n')}`);
      results['writes'] = writes;
      rows.push({
        figure: `DynamoDB writes/event (${writes.events} events: ${round((100 * (writes.effects['none'] ?? 0)) / writes.events, 1)}% dup, ${round((100 * (writes.effects['history'] ?? 0)) / writes.events, 1)}% late)`,
        value: `${round(writes.perEvent, 3)}`,
        reference: '1 write per event',
        ratio: `${round(writes.perEvent, 3)}x`,
        target: '<= 1.1',
      });
    }

    let e2e: Record<string, number> | undefined;
    if (only.has('e2e')) {
      console.error('end to end through the local stack...');
      const stream = buildStream({
        outbound: 1500,
        inbound: 300,
        duplicateRate: 0.1,
        order: { kind: 'swap', rate: 0.1 },
        seed: 13,
      });
      let batches = 0;
      let records = 0;
      const failures: string[] = [];
      const local = await startLocalStack({
        cdkOut: outdir,
        onEvent: (e: LocalStackEvent) => {
          if (e.kind === 'batch' && e.queueName === 'state') {
            batches++;
            records += e.records;
            if (e.error || e.failedMessageIds.length > 0)
              failures.push(e.error ?? `${e.failedMessageIds.length} failed records`);
          }
        },
      });
      try {
        if (!local.webhookUrl) throw new Error('the local stack has no webhook URL');
        const t0 = performance.now();
        const deadline = Date.now() + 5 * 60_000;
        const sent = await sendAll(local.webhookUrl, createPrivateKey(privateKeyPem), stream.events, 50, deadline);
        const drained = await drainAndVerify(local, stream, t0, deadline);
        if (drained.mismatches.length > 0)
          throw new Error(
            `e2e: ${drained.mismatches.length} items differ from the model:\n${drained.mismatches.slice(0, 10).join('\n')}`,
          );
        const lost = Object.entries(drained.queueDepths).filter(([, n]) => n > 0);
        const dlqs = lost.filter(([k]) => /Dlq$/.test(k));
        if (dlqs.length > 0) throw new Error(`e2e: messages in DLQs: ${JSON.stringify(dlqs)}`);
        const lat = latencySummary(sent.latenciesMs);
        e2e = {
          events: stream.events.length,
          concurrency: 50,
          requests: sent.requests,
          retries: sent.retries,
          sendSeconds: round(sent.sendMs / 1000, 2),
          totalSeconds: round(drained.totalMs / 1000, 2),
          ingestEventsPerSecond: round(stream.events.length / (sent.sendMs / 1000), 0),
          storedEventsPerSecond: round(stream.events.length / (drained.totalMs / 1000), 0),
          p50Ms: round(lat.p50, 1),
          p99Ms: round(lat.p99, 1),
          consumerBatches: batches,
          recordsPerBatch: round(records / Math.max(1, batches), 2),
          failedBatches: failures.length,
          receivedShare: round(
            stream.events.filter((ev) => ev.body.includes('"message.received"')).length / stream.events.length,
            4,
          ),
        };
        results['e2e'] = e2e;
        rows.push({
          figure: `end to end (${stream.events.length} events, c=50, 0 lost)`,
          value: `${e2e['storedEventsPerSecond']} ev/s stored`,
          reference: `${e2e['ingestEventsPerSecond']} ev/s accepted`,
          ratio: '-',
          target: '-',
        });
        rows.push({
          figure: 'ingest latency over HTTP (local)',
          value: `p50 ${e2e['p50Ms']} ms`,
          reference: `p99 ${e2e['p99Ms']} ms`,
          ratio: '-',
          target: '-',
        });
      } finally {
        await local.stop();
      }
    }

    if (hotSdk.ingest && hotSdk.consumer && writes) {
      // Billed duration includes the SDK's own CPU: the transport-stubbed figures.
      const cost = costPerMillion({
        hot: { ingest: hotSdk.ingest, consumer: hotSdk.consumer },
        writes,
        e2e,
        memoryMb: bundles.ingest.memoryMb,
        consumerMemoryMb: bundles.consumer.memoryMb,
      });
      results['costPerMillion'] = cost;
      rows.push({
        figure: 'cost per million webhooks (us-east-1)',
        value: `$${cost.total.toFixed(2)}`,
        reference: `prices as of ${PRICES.asOf}`,
        ratio: '-',
        target: '-',
      });
    }
    results['prices'] = PRICES;
    results['assumptions'] = ASSUMED;
    console.log('');
    printTable(rows);
    const file = path.join(__dirname, 'results.json');
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nwritten: ${path.relative(process.cwd(), file)}`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Dollars per million webhooks, each line from a measured count times a list price. */
function costPerMillion(input: {
  hot: Record<'ingest' | 'consumer', HotResult>;
  writes: WritesResult;
  e2e: Record<string, number> | undefined;
  memoryMb: number;
  consumerMemoryMb: number;
}) {
  const M = 1e6;
  const cpuStretch = (mb: number) => Math.max(1, ASSUMED.fullCpuMemoryMb / mb);
  const ingestMs = Math.ceil(
    (median(input.hot.ingest.handlerUs) / 1000) * cpuStretch(input.memoryMb) + ASSUMED.sqsSendRoundTripMs,
  );
  const measuredBatch = input.e2e?.['recordsPerBatch'];
  // The local run's batches, when it had any; else the mapping's batch size is not assumed full.
  const recordsPerBatch = measuredBatch !== undefined && measuredBatch > 0 ? measuredBatch : 10;
  const receivedShare = input.e2e?.['receivedShare'] ?? 0.1;
  const consumerMsPerEvent =
    (median(input.hot.consumer.handlerUs) / 1000) * cpuStretch(input.consumerMemoryMb) +
    input.writes.perEvent * ASSUMED.dynamoWriteRoundTripMs;
  const gbSeconds = (ms: number, mb: number) => (ms / 1000) * (mb / 1024);
  const apiGateway = PRICES.httpApiPerMillionRequests;
  const ingestLambda =
    PRICES.lambdaPerMillionRequests + M * gbSeconds(ingestMs, input.memoryMb) * PRICES.lambdaArmPerGbSecond;
  const consumerLambda =
    PRICES.lambdaPerMillionRequests / recordsPerBatch +
    M * gbSeconds(consumerMsPerEvent, input.consumerMemoryMb) * PRICES.lambdaArmPerGbSecond;
  // SendMessage to the state queue, plus the subscriber's for its event types; one ReceiveMessage and one DeleteMessageBatch per consumer batch.
  const sqsRequestsPerEvent = 1 + receivedShare + 2 / recordsPerBatch;
  const sqs = sqsRequestsPerEvent * PRICES.sqsStandardPerMillionRequests;
  const writeUnitsPerEvent = (input.writes.tableWriteUnits + input.writes.indexWrites) / input.writes.events;
  const dynamodb = writeUnitsPerEvent * PRICES.dynamoOnDemandPerMillionWriteUnits;
  const logBytesPerEvent = input.hot.ingest.logBytesPerEvent + input.hot.consumer.logBytesPerEvent;
  const logs = ((M * logBytesPerEvent) / 2 ** 30) * PRICES.cloudWatchLogsPerGbIngested;
  const lines = { apiGateway, ingestLambda, consumerLambda, sqs, dynamodb, logs };
  const total = Object.values(lines).reduce((a, b) => a + b, 0);
  return {
    ...Object.fromEntries(Object.entries(lines).map(([k, v]) => [k, round(v, 3)])),
    total: round(total, 2),
    inputs: {
      ingestBilledMs: ingestMs,
      consumerMsPerEvent: round(consumerMsPerEvent, 2),
      recordsPerBatch,
      sqsRequestsPerEvent: round(sqsRequestsPerEvent, 3),
      writeUnitsPerEvent: round(writeUnitsPerEvent, 3),
      logBytesPerEvent: round(logBytesPerEvent, 0),
    },
  };
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
