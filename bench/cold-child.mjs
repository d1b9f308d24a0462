// One cold start: import a handler module and handle one event, then exit at once
// (the SDK's keep-alive sockets would otherwise hold the event loop open).
// argv: <handler module> <event json file>
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const t0 = performance.now();
const mod = await import(pathToFileURL(process.argv[2]).href);
const importMs = performance.now() - t0;
const event = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const result = await mod.handler(event, {
  functionName: 'bench',
  awsRequestId: 'cold',
  getRemainingTimeInMillis: () => 10000,
});
const ms = performance.now() - t0;
process.stderr.write(`${JSON.stringify({ ms, importMs, result })}\n`, () => process.exit(0));
