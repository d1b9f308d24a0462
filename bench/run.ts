import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalStack, type LocalStackEvent } from '../local/stack';
import { findBundle, synthBenchAssembly, type Bundle } from './assembly';
import { measureColdMatrix } from './cold';
import { buildStream } from './events';
import { startFakeDynamoDb, startFakeSqs, type FakeServer } from './fakes';
import { measureFreshness, type FreshnessResult } from './freshness';
import { measureHot, type HotResult } from './hot';
import { BENCH_ARCHIVE_QUEUE_ENV, buildLineup, EMPTY_ID, type Contender, type EventKind } from './lineup';
import { sqsMessageInput } from '../lambda/ingest/targets/sqs';
import { drainAndVerify, latencySummary, sendAll } from './pipeline';
import { printCold, printWarm, summarizeCold, summarizeWarm, type ColdSummary, type WarmFigures } from './report';
import { resolveRuntimes, type Runtime } from './runtimes';
import { median, printGrid, quantile, round } from './stats';
import { makeCertificate, NO_TRUST, trustFor, type Trust } from './tls';
import { measureWarm } from './warm';
import { measureWrites, type WritesResult } from './writes';

const HELP = `npm run bench -- [options]

Cold and warm cost of the ingest and the consumer (with and without the delivery archive's
forward, docs/archive.md) on this machine's Node and on Node 24 (Lambda's
runtime, installed from npm by scripts/node24.mjs), against HTTPS fakes of SQS and DynamoDB,
beside an empty handler, bare verify + parse, the real-SDK floor and two peers, all interleaved
in one run; then DynamoDB writes per event, freshness and throughput on the local stack, and the
cost per million webhooks. Prints tables and writes bench/results.json.

  --only <list>       phases, comma-separated (default all): cold, warm, hot, writes, fresh, e2e
  --rounds <n>        cold-start rounds; each runs every contender once per runtime (default 12)
  --runtimes <list>   machine, node24 (default both)
  --groups <list>     line-up: ingest, consumer, bundling (default ingest,consumer; bundling
                      rebuilds the ingest with the choices made earlier: full credential chain,
                      --enable-source-maps)
  --http              plain-HTTP fakes instead of HTTPS: what the local stack's functions pay
                      (its stand-ins speak HTTP), not what Lambda pays
  --fresh-events <n>  webhooks sent for the freshness figure (default 100)
  --fresh-rate <n>    per second, open loop (default 5: a steady trickle, not a load test)
  --help`;

const { values: opts } = parseArgs({
  options: {
    only: { type: 'string', default: 'cold,warm,hot,writes,fresh,e2e' },
    rounds: { type: 'string', default: '12' },
    runtimes: { type: 'string', default: 'machine,node24' },
    groups: { type: 'string', default: 'ingest,consumer' },
    http: { type: 'boolean', default: false },
    'fresh-events': { type: 'string', default: '100' },
    'fresh-rate': { type: 'string', default: '5' },
    help: { type: 'boolean', default: false },
  },
});

const only = new Set(opts.only.split(','));
const ROUNDS = Number(opts.rounds);
/** Warm blocks per handler: small, because every event is a real request to the fakes. */
const WARM = { rounds: 5, perBlock: 100, warmup: 50 };
/** Hot-path rounds per handler and runtime, each a block of the reference then one of the handler. */
const HOT = { rounds: 5, perRound: 500 };
const list = (s: string) => s.split(',').filter((x) => x !== '');

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

// The SDK's Node < 22 notice, printed by the clients this process runs (the local stack's), is noise here.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

const started = performance.now();
const progress = (message: string) =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function heading(title: string, method: string): void {
  console.log(`\n== ${title} ==`);
  console.log(method);
}

const okWebhook = (r: unknown) =>
  typeof r === 'object' && r !== null && [200, 202].includes((r as { statusCode?: number }).statusCode ?? 0);
const noFailures = (r: unknown) =>
  typeof r === 'object' &&
  r !== null &&
  Array.isArray((r as { batchItemFailures?: unknown[] }).batchItemFailures) &&
  (r as { batchItemFailures: unknown[] }).batchItemFailures.length === 0;

function webhookEvent(body: string, signature: string) {
  return {
    version: '2.0',
    routeKey: 'POST /webhooks',
    rawPath: '/webhooks',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'x-respond-flow-signature': signature },
    requestContext: {
      http: { method: 'POST', path: '/webhooks', sourceIp: '127.0.0.1' },
      requestId: 'bench',
      stage: '$default',
    },
    body,
    isBase64Encoded: false,
  };
}

/**
 * An SQS batch of the state queue as Lambda delivers it: each body with the attributes the
 * ingest gives it (`sqsMessageInput`), so the consumer with the archive on forwards every record.
 */
function sqsEvent(events: readonly { readonly body: string; readonly signature: string }[], offset: number) {
  return {
    Records: events.map(({ body, signature }, i) => {
      const json = JSON.parse(body) as { id: string; payload: Record<string, unknown> };
      const input = sqsMessageInput('state', body, {
        webhookId: json.id,
        eventType: String(json.payload['event_type']),
        messageId: String(json.payload['id'] ?? json.payload['message_app_id']),
        receivedAt: '2026-11-29T10:00:00.000Z',
        signature,
      });
      return {
        messageId: `bench-${offset + i}`,
        receiptHandle: 'rh',
        body: input.MessageBody,
        attributes: { ApproximateReceiveCount: '1' },
        messageAttributes: Object.fromEntries(
          Object.entries(input.MessageAttributes ?? {}).map(([name, v]) => [
            name,
            { stringValue: v.StringValue, stringListValues: [], binaryListValues: [], dataType: v.DataType },
          ]),
        ),
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:state',
        awsRegion: 'us-east-1',
      };
    }),
  };
}

async function main(): Promise<void> {
  if (opts.help) {
    console.log(HELP);
    return;
  }
  const date = new Date();
  const workDir = mkdtempSync(path.join(tmpdir(), 'volt-bench-'));
  const loadAtStart = load();
  const runtimes = resolveRuntimes(list(opts.runtimes));
  const results: Record<string, unknown> = {
    date: date.toISOString(),
    options: opts,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGb: round(totalmem() / 2 ** 30, 1),
      platform: `${process.platform}-${process.arch}`,
      loadAverageAtStart: loadAtStart,
    },
    runtimes: runtimes.map(({ id, label, version }) => ({ id, label, version })),
    endpoints: opts.http ? 'http' : 'https',
  };
  console.log(`bench of ${date.toISOString()}, ${cpus().length} CPUs, load average ${loadAtStart} (1, 5, 15 min)`);
  for (const rt of runtimes) console.log(`runtime ${rt.id}: ${rt.label}, ${rt.execPath}`);
  console.log(
    opts.http
      ? 'endpoints: plain-HTTP fakes (what the local stack pays, not what Lambda pays)'
      : "endpoints: HTTPS fakes, throw-away RSA-2048 certificate beside the runtime's own roots (--use-openssl-ca, SSL_CERT_FILE)",
  );
  try {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const outdir = path.join(workDir, 'cdk.out');
    progress('synthesizing the app (cdk synth)...');
    const assembly = await synthBenchAssembly(outdir, publicKeyPem);
    const bundles: Record<'ingest' | 'consumer', Bundle> = {
      ingest: findBundle(assembly, 'ingest'),
      consumer: findBundle(assembly, 'consumer'),
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
    const key = createPrivateKey(privateKeyPem);
    const signed = sample.events.map((e) => ({
      ...e,
      signature: sign('sha256', Buffer.from(e.body), key).toString('base64'),
    }));
    // The ingest sends an outbound event to the state queue only, as the floor and the peers do;
    // an inbound one would also go to the subscriber's queue.
    const outbound = signed.filter((e) => !e.webhookId.includes('_in_'));
    const first = outbound[0];
    if (!first) throw new Error('no sample event');

    let coldSummary: ColdSummary | undefined;
    const warmByRuntime: Record<string, Record<string, WarmFigures>> = {};
    let lineup: Contender[] = [];
    if (only.has('cold') || only.has('warm')) {
      progress('building the line-up...');
      lineup = await buildLineup({ workDir, bundles, groups: new Set(list(opts.groups)) });
      const cert = opts.http ? undefined : await makeCertificate();
      const trust: Record<string, Trust> = Object.fromEntries(
        runtimes.map((rt) => [rt.id, cert ? trustFor(rt, cert, workDir) : NO_TRUST]),
      );
      const sqs: FakeServer = await startFakeSqs(cert);
      const dynamo: FakeServer = await startFakeDynamoDb(cert);
      const home = path.join(workDir, 'home');
      mkdirSync(home);
      const stateQueueUrl = `${sqs.endpoint}/000000000000/state`;
      const env: NodeJS.ProcessEnv = {
        PATH: process.env['PATH'],
        // An empty home: no ~/.aws files for the SDK to find, as on Lambda.
        HOME: home,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        AWS_SESSION_TOKEN: 'bench',
        AWS_LAMBDA_FUNCTION_NAME: 'bench',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        // The SDK prints a support warning on Node < 22 (about 2.5 ms of a cold start); Lambda's Node 24 never does.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        AWS_ENDPOINT_URL_SQS: sqs.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        TARGET_QUEUES: JSON.stringify([
          { name: 'state', queueUrl: stateQueueUrl },
          { name: 'crm', queueUrl: `${sqs.endpoint}/000000000000/crm`, eventTypes: ['message.received'] },
        ]),
        VOLT_PUBLIC_KEYS: JSON.stringify([publicKeyPem]),
        TABLE_NAME: 'messages',
        // For the consumer with the archive on only (bench/lineup.ts sets it as its ARCHIVE_QUEUE_URL).
        [BENCH_ARCHIVE_QUEUE_ENV]: `${sqs.endpoint}/000000000000/archive`,
        // The peers' configuration: one queue, one PEM key.
        QUEUE_URL: stateQueueUrl,
        VOLT_PUBLIC_KEY: publicKeyPem,
      };
      try {
        if (only.has('cold')) {
          progress(`cold starts: ${lineup.length} contenders x ${runtimes.length} runtimes x ${ROUNDS} rounds...`);
          const before = { sqs: sqs.requests(), dynamo: dynamo.requests() };
          const matrix = await measureColdMatrix({
            runtimes,
            contenders: lineup,
            events: { webhook: webhookEvent(first.body, first.signature), sqs: sqsEvent([first], 0) },
            accept: { webhook: okWebhook, sqs: noFailures },
            env,
            trust,
            rounds: ROUNDS,
            workDir,
            progress: (r) => {
              if (r % 5 === 0) progress(`cold round ${r + 1}/${ROUNDS}, load average ${load()}`);
            },
          });
          // Every run of a contender that sends must have reached its fake (one warm-up run included).
          const runs = (ROUNDS + 1) * runtimes.length;
          const want = {
            sqs: runs * lineup.reduce((n, c) => n + c.calls.sqs, 0),
            dynamo: runs * lineup.reduce((n, c) => n + c.calls.dynamodb, 0),
          };
          const got = { sqs: sqs.requests() - before.sqs, dynamo: dynamo.requests() - before.dynamo };
          if (got.sqs < want.sqs || got.dynamo < want.dynamo)
            throw new Error(`cold runs did not all reach the fakes: ${JSON.stringify({ want, got })}`);
          coldSummary = summarizeCold(matrix, runtimes, lineup);
          results['cold'] = { rounds: ROUNDS, summary: coldSummary, samples: matrix };
          heading(
            `Cold start: fresh process, load + first event (${ROUNDS} rounds, ${lineup.length * runtimes.length} runs each, shuffled)`,
            'Wall time from spawn to exit. Ratios: median over rounds of the ratio within the round; (interquartile range).',
          );
          printCold(coldSummary, runtimes, lineup);
        }
        if (only.has('warm')) {
          const events: Record<EventKind, unknown[]> = {
            webhook: outbound.map((e) => webhookEvent(e.body, e.signature)),
            sqs: [],
          };
          for (let i = 0; i < outbound.length; i += 10) events.sqs.push(sqsEvent(outbound.slice(i, i + 10), i));
          // The steps differ from the floor only at load: warm, they would show nothing.
          const warmLineup = lineup.filter((c) => c.role !== 'step' && c.id !== EMPTY_ID);
          const logBytes: Record<string, number> = {};
          for (const rt of runtimes) {
            progress(`warm, over TLS, on ${rt.label}...`);
            const warm = await measureWarm({
              runtime: rt,
              contenders: warmLineup,
              events,
              recordsPerBatch: 10,
              env,
              trust: trust[rt.id] ?? NO_TRUST,
              rounds: WARM.rounds,
              perBlock: WARM.perBlock,
              warmup: WARM.warmup,
              workDir,
            });
            warmByRuntime[rt.id] = summarizeWarm(warm, warmLineup, 'verify-parse');
            logBytes[rt.id] = warm.logBytes;
          }
          results['warm'] = { byRuntime: warmByRuntime, logBytes };
          heading(
            `Warm: one process per runtime, every handler loaded, ${WARM.rounds} rounds of ${WARM.perBlock} events each (SQS: batches of 10)`,
            "CPU time of the handlers' process per event, the SDK's whole request path over a kept-alive TLS connection;\nratios per round, median (interquartile range). Outbound events only: one SendMessage each.",
          );
          printWarm(warmByRuntime, runtimes, warmLineup);
        }
      } finally {
        await sqs.close();
        await dynamo.close();
      }
    }

    const hot: Record<string, Partial<Record<'ingest' | 'consumer', { send: HotResult; transport: HotResult }>>> = {};
    if (only.has('hot')) {
      const input = {
        publicKeyPem,
        bodies: signed.map(({ body, signature }) => ({ body, signature })),
        ...HOT,
      };
      for (const rt of runtimes) {
        progress(`hot path (own CPU per event, AWS call answered in-process) on ${rt.label}...`);
        hot[rt.id] = {};
        for (const which of ['ingest', 'consumer'] as const) {
          (hot[rt.id] as Record<string, unknown>)[which] = {
            send: await measureHot(rt, which, 'send', input, workDir),
            transport: await measureHot(rt, which, 'transport', input, workDir),
          };
        }
      }
      results['hot'] = hot;
      heading(
        'Hot path: the handler source (as bundled) in one process, the AWS call answered in-process',
        `CPU µs per event, ${HOT.rounds} rounds of ${HOT.perRound} events against a reference in alternating blocks; ratio: median of per-round ratios.\n` +
          "`send`: answered at the client's send (the handler's own work); `transport`: at the HTTP handler (the SDK builds, signs, parses).",
      );
      const rows: string[][] = [];
      for (const which of ['ingest', 'consumer'] as const) {
        const reference = which === 'ingest' ? 'crypto.verify + JSON.parse' : 'JSON.parse + serialize one write';
        for (const stub of ['send', 'transport'] as const) {
          rows.push([
            `${which}, ${stub} stubbed (reference: ${reference})`,
            ...runtimes.map((rt) => {
              const h = hot[rt.id]?.[which]?.[stub];
              return h
                ? `${round(median(h.handlerUs), 1)} vs ${round(median(h.referenceUs), 1)} µs = ${round(h.ratio)}x`
                : '-';
            }),
          ]);
        }
      }
      printGrid(['figure', ...runtimes.map((rt) => rt.label)], rows);
      console.log('target: ingest, send stubbed, <= 1.5x');
    }

    let writes: WritesResult | undefined;
    if (only.has('writes')) {
      progress('DynamoDB writes per event (dynalite)...');
      const stream = buildStream({
        outbound: 1000,
        inbound: 250,
        duplicateRate: 0.1,
        order: { kind: 'swap', rate: 0.1 },
        seed: 11,
      });
      writes = await measureWrites(stream);
      if (writes.mismatches.length > 0)
        throw new Error(`writes: items differ from the model:\n${writes.mismatches.slice(0, 10).join('\n')}`);
      results['writes'] = writes;
      heading(
        'DynamoDB writes per event (consumer record processor on dynalite)',
        'UpdateItem requests counted at the server.',
      );
      console.log(
        `${round(writes.perEvent, 3)} per event over ${writes.events} events (${round((100 * (writes.effects['none'] ?? 0)) / writes.events, 1)}% duplicates, ${round((100 * (writes.effects['history'] ?? 0)) / writes.events, 1)}% late); target <= 1.1`,
      );
    }

    let fresh: FreshnessResult | undefined;
    let e2e: Record<string, number> | undefined;
    if (only.has('fresh') || only.has('e2e')) {
      progress('starting the local stack...');
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
        if (only.has('fresh')) {
          const events = Number(opts['fresh-events']);
          const rate = Number(opts['fresh-rate']);
          progress(`freshness: ${events} webhooks from the Volt simulator at ${rate}/s...`);
          fresh = await measureFreshness({
            stack: local,
            privateKeyPem,
            events,
            ratePerSecond: rate,
            timeoutMs: 60_000,
          });
          if (fresh.missing > 0) throw new Error(`freshness: ${fresh.missing} webhooks never became readable`);
          const q = (v: readonly number[], p: number) => round(quantile(v, p), 0);
          results['freshness'] = {
            ...fresh,
            answerP50Ms: q(fresh.answerMs, 0.5),
            answerP99Ms: q(fresh.answerMs, 0.99),
            readableP50Ms: q(fresh.readableMs, 0.5),
            readableP99Ms: q(fresh.readableMs, 0.99),
          };
          heading(
            `Freshness on the local stack (${fresh.events} inbound messages from the Volt simulator, ${rate}/s, open loop)`,
            `From the start of Volt's POST; readable: the item's history holds the webhook (table polled every ${fresh.pollMs} ms).\nThe consumer's event source mapping batches up to 25 records for at most 1 s (the stack's setting), as Lambda does.`,
          );
          printGrid(
            ['figure', 'p50 ms', 'p99 ms'],
            [
              [
                'ingest answers Volt (HTTP API + ingest + SendMessage)',
                `${q(fresh.answerMs, 0.5)}`,
                `${q(fresh.answerMs, 0.99)}`,
              ],
              [
                'status readable (+ queue, polling, batching, consumer, write)',
                `${q(fresh.readableMs, 0.5)}`,
                `${q(fresh.readableMs, 0.99)}`,
              ],
            ],
          );
          if (fresh.refusedAttempts > 0)
            console.log(`${fresh.refusedAttempts} POST attempts refused and retried by Volt`);
        }
        if (only.has('e2e')) {
          progress('throughput through the local stack...');
          const stream = buildStream({
            outbound: 750,
            inbound: 150,
            duplicateRate: 0.1,
            order: { kind: 'swap', rate: 0.1 },
            seed: 13,
          });
          batches = 0;
          records = 0;
          if (!local.webhookUrl) throw new Error('the local stack has no webhook URL');
          const t0 = performance.now();
          const deadline = Date.now() + 5 * 60_000;
          const sent = await sendAll(local.webhookUrl, key, stream.events, 50, deadline);
          const drained = await drainAndVerify(local, stream, t0, deadline);
          if (drained.mismatches.length > 0)
            throw new Error(
              `e2e: ${drained.mismatches.length} items differ from the model:\n${drained.mismatches.slice(0, 10).join('\n')}`,
            );
          const dlqs = Object.entries(drained.queueDepths).filter(([k, n]) => /Dlq$/.test(k) && n > 0);
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
          heading(
            `Throughput through the local stack (${stream.events.length} events, 10% duplicates, concurrency 50)`,
            'Every item checked against the model afterwards; nothing in a DLQ.',
          );
          console.log(
            `${e2e['ingestEventsPerSecond']} events/s accepted, ${e2e['storedEventsPerSecond']} events/s stored; POST latency p50 ${e2e['p50Ms']} ms, p99 ${e2e['p99Ms']} ms; ${e2e['retries']} retries; ${e2e['recordsPerBatch']} records per consumer batch`,
          );
        }
      } finally {
        await local.stop();
      }
    }

    const costHot = hot[runtimes[runtimes.length - 1]?.id ?? ''];
    if (costHot?.ingest && costHot.consumer && writes) {
      // Billed duration includes the SDK's own CPU: the transport-stubbed figures, on the last runtime (Lambda's when measured).
      const cost = costPerMillion({
        hot: { ingest: costHot.ingest.transport, consumer: costHot.consumer.transport },
        writes,
        e2e,
        memoryMb: bundles.ingest.memoryMb,
        consumerMemoryMb: bundles.consumer.memoryMb,
      });
      results['costPerMillion'] = cost;
      heading('Cost per million webhooks (us-east-1)', `prices as of ${PRICES.asOf}`);
      console.log(
        Object.entries(cost)
          .filter(([k]) => k !== 'inputs')
          .map(([k, v]) => `${k} $${String(v)}`)
          .join(', '),
      );
    }

    if (coldSummary) printBar(coldSummary, runtimes, lineup, warmByRuntime, fresh);
    results['prices'] = PRICES;
    results['assumptions'] = ASSUMED;
    const loadAtEnd = load();
    (results['machine'] as Record<string, unknown>)['loadAverageAtEnd'] = loadAtEnd;
    results['seconds'] = round((performance.now() - started) / 1000, 0);
    console.log(`\nload average at the end: ${loadAtEnd}; the run took ${results['seconds']} s`);
    const file = path.join(__dirname, 'results.json');
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`written: ${path.relative(process.cwd(), file)}`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Ours beside the references, the floors and the peers, per runtime, in one table. */
function printBar(
  cold: ColdSummary,
  runtimes: readonly Runtime[],
  lineup: readonly Contender[],
  warm: Record<string, Record<string, WarmFigures>>,
  fresh: FreshnessResult | undefined,
): void {
  const shown = lineup.filter((c) => ['ours', 'floor', 'peer'].includes(c.role) || c.id === 'verify-parse');
  heading(
    'Summary',
    'Cold: wall time (CPU time) over the empty handler; warm: CPU per event over the floor. Medians of per-round ratios.',
  );
  const cell = (pick: (metric: 'wall' | 'cpu') => { median: number } | undefined) => {
    const w = pick('wall');
    const u = pick('cpu');
    return w && u && Number.isFinite(w.median) ? `${w.median.toFixed(2)}x (${u.median.toFixed(2)}x)` : '-';
  };
  const rows: string[][] = shown.map((c) => [
    `${c.label}, cold`,
    ...runtimes.map((rt) => cell((m) => cold.figures[m][rt.id]?.[c.id]?.vsEmpty)),
  ]);
  rows.push([
    'ingest cold over its floor',
    ...runtimes.map((rt) => cell((m) => cold.figures[m][rt.id]?.['ingest']?.vsFloor)),
  ]);
  rows.push([
    'ingest cold over the best peer',
    ...runtimes.map((rt) => {
      const m = cold.margin.wall[rt.id];
      return m ? `${cell((metric) => cold.margin[metric][rt.id]?.ratio)} ${m.peerId}` : '-';
    }),
  ]);
  const warmed = Object.keys(warm).length > 0;
  for (const c of lineup.filter((x) => warmed && (x.role === 'ours' || x.role === 'peer'))) {
    rows.push([
      `${c.label}, warm CPU over the floor`,
      ...runtimes.map((rt) => {
        const f = warm[rt.id]?.[c.id]?.vsFloor;
        return f ? `${f.median.toFixed(2)}x` : '-';
      }),
    ]);
  }
  printGrid(['figure', ...runtimes.map((rt) => rt.label)], rows);
  if (fresh)
    console.log(
      `freshness (local stack): ingest answers p50 ${round(quantile(fresh.answerMs, 0.5), 0)} ms, status readable p50 ${round(quantile(fresh.readableMs, 0.5), 0)} ms, p99 ${round(quantile(fresh.readableMs, 0.99), 0)} ms`,
    );
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
