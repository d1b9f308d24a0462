// One cold start: load a handler module and handle one event, then exit at once (the SDK's
// keep-alive sockets would otherwise hold the event loop open).
// argv: <handler module> <esm|cjs> <event json file>
// An ES module is loaded with import(), CommonJS with require(), as Lambda's runtime does.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [file, format, eventFile] = process.argv.slice(2);
const t0 = performance.now();
const mod = format === 'cjs' ? createRequire(import.meta.url)(file) : await import(pathToFileURL(file).href);
const importMs = performance.now() - t0;
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const result = await mod.handler(event, {
  functionName: 'bench',
  awsRequestId: 'cold',
  getRemainingTimeInMillis: () => 10000,
});
const ms = performance.now() - t0;
// Since the process started (Node's bootstrap included), to the handler's answer: wall time,
// and the CPU time of the whole process, which other load on the machine inflates far less.
const sinceStartMs = performance.now();
const cpu = process.cpuUsage();
const cpuMs = (cpu.user + cpu.system) / 1000;
process.stderr.write(`${JSON.stringify({ ms, importMs, sinceStartMs, cpuMs, result })}\n`, () => process.exit(0));
