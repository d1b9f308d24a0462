import { build, type BuildOptions } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Bundle } from './assembly';
import { CONSUMER_ENV } from '../lambda/consumer/config';

/**
 * The line-up measured side by side in one interleaved run: the deployed ingest and consumer,
 * the references (an empty handler, bare verify + parse), the steps from an empty handler up to
 * the ingest (SDK import, client construction, first request, Powertools), the real-SDK floors,
 * and two peers a user would otherwise deploy (bench/peers/).
 */

/** The event a handler is given: an API Gateway v2 webhook request, or an SQS batch of one record. */
export type EventKind = 'webhook' | 'sqs';

export type Role = 'reference' | 'step' | 'floor' | 'ours' | 'peer' | 'bundling';

export interface Contender {
  readonly id: string;
  readonly label: string;
  readonly role: Role;
  readonly event: EventKind;
  /** The module the child process loads. */
  readonly file: string;
  /** How Lambda's runtime would load it: `import()` for ESM, `require()` for CommonJS. */
  readonly format: 'esm' | 'cjs';
  /** Size of that file; for an unbundled handler, of the handler alone. */
  readonly bytes: number;
  /** What else it loads, e.g. `+ SDK from node_modules` for an unbundled handler. */
  readonly loads?: string;
  readonly nodeOptions: string;
  /** Requests each handled cold event makes to the fakes. */
  readonly calls: { readonly sqs: number; readonly dynamodb: number };
  /** The contender its cold time is divided by besides the empty handler. */
  readonly floorId?: string;
}

const ROOT = path.resolve(__dirname, '..');
export const EMPTY_ID = 'empty';
export const INGEST_FLOOR_ID = 'sqs-floor';
export const CONSUMER_FLOOR_ID = 'dynamodb-floor';

/** The environment variable holding the archive queue URL the forwarding consumer is given (the run sets it). */
export const BENCH_ARCHIVE_QUEUE_ENV = 'BENCH_ARCHIVE_QUEUE_URL';

/**
 * The ingest's cold-time steps, in order: each differs from the one before by one thing, so the
 * difference of adjacent medians is what that thing costs.
 */
export const INGEST_STEPS: readonly { readonly id: string; readonly cost: string }[] = [
  { id: EMPTY_ID, cost: 'Node start + empty handler' },
  { id: 'sqs-import', cost: 'SDK import (@aws-sdk/client-sqs)' },
  { id: 'sqs-client', cost: 'client construction' },
  { id: INGEST_FLOOR_ID, cost: 'first request (SendMessage, connection set-up included)' },
  { id: 'sqs-powertools', cost: 'Powertools init (Logger + Metrics)' },
  { id: 'ingest', cost: 'our own code (config, keys, verify, attributes)' },
];

/**
 * esbuild options of lib/constructs/volt-function.ts (VoltFunction's `bundling`), repeated here
 * because the bench rebuilds handlers that are not in the app; a change there belongs here too.
 */
function voltFunctionOptions(credentialAlias: boolean): BuildOptions {
  return {
    bundle: true,
    format: 'esm',
    target: 'node22',
    platform: 'node',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    alias: credentialAlias
      ? { '@aws-sdk/credential-provider-node': path.join(ROOT, 'lambda/common/env-credentials.ts') }
      : {},
    banner: {
      js: "import { createRequire as __voltCreateRequire } from 'node:module'; const require = __voltCreateRequire(import.meta.url);",
    },
    logLevel: 'error',
  };
}

async function bundle(entry: string, outfile: string, options: BuildOptions): Promise<number> {
  mkdirSync(path.dirname(outfile), { recursive: true });
  await build({ ...options, entryPoints: [path.join(ROOT, entry)], outfile });
  return statSync(outfile).size;
}

type Spec = Omit<Contender, 'file' | 'bytes' | 'format' | 'loads' | 'nodeOptions'> & {
  readonly nodeOptions?: string;
  readonly make: (dir: string) => Promise<Pick<Contender, 'file' | 'bytes' | 'format' | 'loads'>>;
};

function likeVoltFunction(entry: string, credentialAlias = true): Spec['make'] {
  return async (dir) => {
    const file = path.join(dir, 'index.mjs');
    return {
      file,
      bytes: await bundle(entry, file, voltFunctionOptions(credentialAlias)),
      format: 'esm',
    };
  };
}

const deployed =
  (b: Bundle): Spec['make'] =>
  () =>
    Promise.resolve({ file: b.entry, bytes: b.bytes, format: 'esm' });

/**
 * The deployed consumer bundle with the archive on: a copy of it (so that, in the warm run's one
 * process, it is a module of its own beside the plain consumer) imported by a wrapper that sets
 * `ARCHIVE_QUEUE_URL` for that import only, as the construct sets it when the archive is on.
 */
const withArchiveForward =
  (b: Bundle): Spec['make'] =>
  (dir) => {
    const copy = path.join(dir, 'bundle');
    mkdirSync(copy, { recursive: true });
    const entry = path.join(copy, path.basename(b.entry));
    copyFileSync(b.entry, entry);
    if (existsSync(`${b.entry}.map`)) copyFileSync(`${b.entry}.map`, `${entry}.map`);
    const file = path.join(dir, 'index.mjs');
    writeFileSync(
      file,
      `process.env.${CONSUMER_ENV.archiveQueueUrl} = process.env.${BENCH_ARCHIVE_QUEUE_ENV};\n` +
        `const { handler } = await import('./bundle/${path.basename(b.entry)}');\n` +
        `delete process.env.${CONSUMER_ENV.archiveQueueUrl};\n` +
        'export { handler };\n',
    );
    return Promise.resolve({ file, bytes: statSync(entry).size, format: 'esm' });
  };

const noCalls = { sqs: 0, dynamodb: 0 };
const oneSend = { sqs: 1, dynamodb: 0 };

/**
 * The groups: `ingest` (references, steps, floor, ingest, peers), `consumer` (its floor and the
 * consumer), `bundling` (the bundling choices made earlier, rebuilt; not in the default run).
 */
export async function buildLineup(options: {
  readonly workDir: string;
  readonly bundles: { readonly ingest: Bundle; readonly consumer: Bundle };
  readonly groups: ReadonlySet<string>;
}): Promise<Contender[]> {
  const { bundles } = options;
  const specs: Spec[] = [
    {
      id: EMPTY_ID,
      label: 'empty handler',
      role: 'reference',
      event: 'webhook',
      calls: noCalls,
      make: () =>
        Promise.resolve({
          file: path.join(__dirname, 'empty-handler.mjs'),
          bytes: statSync(path.join(__dirname, 'empty-handler.mjs')).size,
          format: 'esm',
        }),
    },
  ];
  if (options.groups.has('ingest')) {
    specs.push(
      {
        id: 'verify-parse',
        label: 'bare verify + parse (no SDK)',
        role: 'reference',
        event: 'webhook',
        calls: noCalls,
        make: likeVoltFunction('bench/variants/verify-parse.ts'),
      },
      {
        id: 'sqs-import',
        label: 'SQS client imported',
        role: 'step',
        event: 'webhook',
        calls: noCalls,
        make: likeVoltFunction('bench/variants/sqs-import.ts'),
      },
      {
        id: 'sqs-client',
        label: 'SQS client constructed',
        role: 'step',
        event: 'webhook',
        calls: noCalls,
        make: likeVoltFunction('bench/variants/sqs-client.ts'),
      },
      {
        id: INGEST_FLOOR_ID,
        label: 'SQS client sending one message (floor)',
        role: 'floor',
        event: 'webhook',
        calls: oneSend,
        make: likeVoltFunction('bench/variants/sqs-floor.ts'),
      },
      {
        id: 'sqs-powertools',
        label: 'floor + Powertools Logger, Metrics',
        role: 'step',
        event: 'webhook',
        calls: oneSend,
        floorId: INGEST_FLOOR_ID,
        make: likeVoltFunction('bench/variants/sqs-powertools.ts'),
      },
      {
        id: 'ingest',
        label: 'ingest (deployable bundle)',
        role: 'ours',
        event: 'webhook',
        calls: oneSend,
        floorId: INGEST_FLOOR_ID,
        nodeOptions: bundles.ingest.nodeOptions,
        make: deployed(bundles.ingest),
      },
      {
        id: 'tutorial',
        label: 'peer: tutorial (CJS bundle)',
        role: 'peer',
        event: 'webhook',
        calls: oneSend,
        floorId: INGEST_FLOOR_ID,
        make: async (dir) => {
          const file = path.join(dir, 'index.js');
          // What esbuild (or `sam build`) makes of a TypeScript handler by default: CommonJS, every
          // dependency bundled, the SDK's default credential chain included.
          const bytes = await bundle('bench/peers/tutorial.ts', file, {
            bundle: true,
            format: 'cjs',
            platform: 'node',
            target: 'node20',
            minify: true,
            logLevel: 'error',
          });
          return { file, bytes, format: 'cjs' };
        },
      },
      {
        id: 'serverless-patterns',
        label: 'peer: serverless-patterns (unbundled SDK v3)',
        role: 'peer',
        event: 'webhook',
        calls: oneSend,
        floorId: INGEST_FLOOR_ID,
        make: () => {
          // Loaded in place, so that `@aws-sdk/client-sqs` resolves from the project's node_modules.
          const file = path.join(__dirname, 'peers', 'serverless-patterns.mjs');
          return Promise.resolve({ file, bytes: statSync(file).size, format: 'esm', loads: '+ SDK from node_modules' });
        },
      },
    );
  }
  if (options.groups.has('consumer')) {
    specs.push(
      {
        id: CONSUMER_FLOOR_ID,
        label: 'DynamoDB client, one UpdateItem (floor)',
        role: 'floor',
        event: 'sqs',
        calls: { sqs: 0, dynamodb: 1 },
        make: likeVoltFunction('bench/variants/dynamodb-floor.ts'),
      },
      {
        id: 'consumer',
        label: 'consumer (deployable bundle), archive off',
        role: 'ours',
        event: 'sqs',
        calls: { sqs: 0, dynamodb: 1 },
        floorId: CONSUMER_FLOOR_ID,
        nodeOptions: bundles.consumer.nodeOptions,
        make: deployed(bundles.consumer),
      },
      {
        id: 'consumer-forward',
        label: 'consumer, archive on (forwards each batch)',
        role: 'ours',
        event: 'sqs',
        // One UpdateItem and one SendMessageBatch for the cold run's one record.
        calls: { sqs: 1, dynamodb: 1 },
        floorId: CONSUMER_FLOOR_ID,
        nodeOptions: bundles.consumer.nodeOptions,
        make: withArchiveForward(bundles.consumer),
      },
    );
  }
  if (options.groups.has('bundling')) {
    specs.push(
      {
        id: 'ingest-full-chain',
        label: 'ingest, full SDK credential chain',
        role: 'bundling',
        event: 'webhook',
        calls: oneSend,
        floorId: INGEST_FLOOR_ID,
        make: likeVoltFunction('lambda/ingest/handler.ts', false),
      },
      {
        id: 'ingest-source-maps',
        label: 'ingest, --enable-source-maps',
        role: 'bundling',
        event: 'webhook',
        calls: oneSend,
        floorId: INGEST_FLOOR_ID,
        nodeOptions: '--enable-source-maps',
        make: likeVoltFunction('lambda/ingest/handler.ts'),
      },
    );
  }
  const out: Contender[] = [];
  for (const spec of specs) {
    const { make, nodeOptions, ...rest } = spec;
    const built = await make(path.join(options.workDir, 'lineup', spec.id));
    out.push({ ...rest, ...built, nodeOptions: nodeOptions ?? '' });
  }
  return out;
}
