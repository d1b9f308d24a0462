// Warm cost per event of several handlers in one process, over the same TLS fakes as the cold
// runs: every handler is loaded, warmed up, then measured in blocks that rotate through the
// handlers round by round, so that other load on the machine falls on all of them alike.
// argv: <config json file>; the result goes to stderr as one JSON line, handlers log to stdout.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const require = createRequire(import.meta.url);
const context = { functionName: 'bench', awsRequestId: 'warm', getRemainingTimeInMillis: () => 10000 };

const accepted = {
  webhook: (r) => r && (r.statusCode === 200 || r.statusCode === 202),
  sqs: (r) => r && Array.isArray(r.batchItemFailures) && r.batchItemFailures.length === 0,
};

const handlers = [];
for (const c of config.contenders) {
  const mod = c.format === 'cjs' ? require(c.file) : await import(pathToFileURL(c.file).href);
  handlers.push({ ...c, handler: mod.handler, events: config.events[c.event], next: 0 });
}

// A block is `perBlock` events: that many webhook invocations, or a tenth as many SQS batches of 10.
const invocations = (h, events) =>
  h.event === 'sqs' ? Math.max(1, Math.round(events / config.recordsPerBatch)) : events;

async function runBlock(h, events) {
  for (let i = 0; i < invocations(h, events); i++) {
    const event = h.events[h.next++ % h.events.length];
    const result = await h.handler(event, context);
    if (!accepted[h.event](result)) throw new Error(`${h.id} answered ${JSON.stringify(result)}`);
  }
}

for (const h of handlers) await runBlock(h, config.warmup);

const cpuUs = Object.fromEntries(handlers.map((h) => [h.id, []]));
const wallUs = Object.fromEntries(handlers.map((h) => [h.id, []]));
for (let round = 0; round < config.rounds; round++) {
  for (let k = 0; k < handlers.length; k++) {
    const h = handlers[(round + k) % handlers.length];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await runBlock(h, config.perBlock);
    const wall = (performance.now() - t0) * 1000;
    const cpu = process.cpuUsage(cpu0);
    const events = invocations(h, config.perBlock) * (h.event === 'sqs' ? config.recordsPerBatch : 1);
    cpuUs[h.id].push((cpu.user + cpu.system) / events);
    wallUs[h.id].push(wall / events);
  }
}
process.stderr.write(`${JSON.stringify({ cpuUs, wallUs })}\n`, () => process.exit(0));
