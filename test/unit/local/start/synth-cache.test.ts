import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  forgetSynth,
  inputsFileFor,
  recordSynth,
  reuseDecision,
  synthInputs,
} from '../../../../local/start/synth-cache';

/** When `npm start` may reuse `.local/cdk.out` instead of synthesizing again. */

let root: string;
let outdir: string;
const CONTEXT = { voltApiUrl: 'http://127.0.0.1:4010/graphql', subscribers: '[{"name":"inbox"}]' };

function write(file: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
}

/** A project whose last synth succeeded with CONTEXT. */
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'synth-cache-'));
  write('bin/app.ts', 'new App();');
  write('lib/stack.ts', 'export class Stack {}');
  write('lambda/ingest/handler.ts', 'export const handler = () => 200;');
  write('cdk.json', '{"app":"npx tsx bin/app.ts"}');
  write('package.json', '{"name":"x"}');
  write('package-lock.json', '{"lockfileVersion":3}');
  write('README.md', '# x');
  write('local/start.ts', '// the runner');
  outdir = path.join(root, '.local', 'cdk.out');
  mkdirSync(outdir, { recursive: true });
  writeFileSync(path.join(outdir, 'manifest.json'), '{}');
  recordSynth(outdir, synthInputs(root, CONTEXT));
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

const decide = (context: Record<string, string> = CONTEXT) => reuseDecision(outdir, synthInputs(root, context));

test('reuses the assembly when sources, context and lock file are as at its synth', () => {
  expect(decide()).toEqual({ reuse: true });
});

test('the order of the context keys does not matter', () => {
  expect(decide({ subscribers: CONTEXT.subscribers, voltApiUrl: CONTEXT.voltApiUrl })).toEqual({ reuse: true });
});

test.each([
  ['a construct', 'lib/stack.ts'],
  ['a function source', 'lambda/ingest/handler.ts'],
  ['the app entry', 'bin/app.ts'],
  ['cdk.json', 'cdk.json'],
])('synthesizes again when %s changed', (_what, file) => {
  write(file, '// changed');
  expect(decide()).toEqual({ reuse: false, reason: expect.stringMatching(/^the sources changed/) });
});

test('synthesizes again when a source is added, or renamed with the same content', () => {
  write('lib/new.ts', 'export {};');
  expect(decide().reuse).toBe(false);
  rmSync(path.join(root, 'lib', 'new.ts'));
  expect(decide().reuse).toBe(true);
  renameSync(path.join(root, 'lib', 'stack.ts'), path.join(root, 'lib', 'stack2.ts'));
  expect(decide().reuse).toBe(false);
});

test('synthesizes again when the context changed (another simulator port, another subscriber)', () => {
  expect(decide({ ...CONTEXT, voltApiUrl: 'http://127.0.0.1:4011/graphql' })).toEqual({
    reuse: false,
    reason: expect.stringMatching(/^the context changed/),
  });
  expect(decide({ ...CONTEXT, logLevel: 'INFO' }).reuse).toBe(false);
});

test('synthesizes again when package-lock.json changed, naming it', () => {
  write('package-lock.json', '{"lockfileVersion":3,"packages":{}}');
  expect(decide()).toEqual({ reuse: false, reason: 'package-lock.json changed' });
});

test('names every input that changed', () => {
  write('lib/stack.ts', '// changed');
  write('package-lock.json', '{}');
  expect(decide({}).reuse).toBe(false);
  const decision = decide({});
  expect(decision.reuse === false && decision.reason.split('; ')).toHaveLength(3);
});

test('a change outside what the synth reads (the runner, the README) keeps the assembly', () => {
  write('README.md', '# changed');
  write('local/start.ts', '// changed');
  expect(decide()).toEqual({ reuse: true });
});

test('synthesizes when there is no assembly, or no record of what it was made from', () => {
  rmSync(path.join(outdir, 'manifest.json'));
  expect(decide()).toEqual({ reuse: false, reason: 'there is no earlier synth' });
  writeFileSync(path.join(outdir, 'manifest.json'), '{}');
  forgetSynth(outdir);
  expect(decide()).toEqual({ reuse: false, reason: 'the earlier synth did not record its inputs' });
  writeFileSync(inputsFileFor(outdir), 'not json');
  expect(decide().reuse).toBe(false);
});

test('the record lives beside the assembly, not in it', () => {
  expect(path.dirname(inputsFileFor(outdir))).toBe(path.dirname(outdir));
});
