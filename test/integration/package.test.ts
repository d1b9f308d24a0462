import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { staleBuildReason } from '../../scripts/build-outputs';

// The published package as a CDK team outside this repository gets it: `npm pack` of this
// repository, installed into a temporary copy of examples/existing-app, synthesized there.
// The install is offline: the tarball, plus links to the dependencies this repository already
// has installed (the same versions a fresh install of the example would resolve).

const ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLE = path.join(ROOT, 'examples', 'existing-app');
const PACKAGE_NAME = 'volt-sms-webhooks';
const TIMEOUT = 10 * 60_000;

/** The functions of this project: every `lambda/<dir>/handler.ts`. */
const FUNCTION_DIRS = readdirSync(path.join(ROOT, 'lambda')).filter((dir) =>
  existsSync(path.join(ROOT, 'lambda', dir, 'handler.ts')),
);

interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end; async, so the slow steps (synth, type check) can run side by side. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', ...env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') reject(err);
        else resolve({ status: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
  });
}

async function mustRun(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const result = await run(command, args, cwd, env);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

interface PackResult {
  readonly filename: string;
  readonly unpackedSize: number;
  readonly files: readonly { readonly path: string; readonly size: number }[];
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly Metadata?: Record<string, Json>;
}

/**
 * A template value with its intrinsics replaced by stand-in strings (a `Ref` becomes
 * `ref:<logicalId>`), enough for a function's cold start to read its configuration.
 */
function standIn(value: Json): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const ref = value['Ref'];
    if (typeof ref === 'string') return ref === 'AWS::Region' ? 'us-east-1' : `ref:${ref}`;
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `getatt:${getAtt.join('.')}`;
    const join = value['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(standIn).join(join[0]);
    }
  }
  throw new Error(`No stand-in for the template value ${JSON.stringify(value)}`);
}

describe(`the ${PACKAGE_NAME} package`, () => {
  let workDir: string;
  let pack: PackResult;

  beforeAll(async () => {
    // `npm test` packs what `npm ci` built; after an edit, build again so the test packs the edit.
    if (staleBuildReason() !== undefined) await mustRun('npm', ['run', 'build', '--silent'], ROOT);
    workDir = mkdtempSync(path.join(tmpdir(), 'volt-package-'));
    const json = await mustRun('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', workDir], ROOT);
    pack = (JSON.parse(json) as PackResult[])[0]!;
  }, TIMEOUT);

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const packed = () => pack.files.map((f) => f.path);

  test('holds no tests, fixtures, benchmarks, examples, local-mode files or TypeScript sources', () => {
    const forbidden = packed().filter(
      (file) =>
        /^(test|bench|local|examples|scripts|bin|lib|lambda|node_modules|cdk\.out|\.local)\//.test(file) ||
        /(^|\/)(fixtures|__tests__)\//.test(file) ||
        /\.test\.|\.spec\./.test(file) ||
        (file.endsWith('.ts') && !file.endsWith('.d.ts')),
    );
    expect(forbidden).toEqual([]);
  });

  test('holds only the compiled library, the function bundles, the CLI and the package metadata', () => {
    const unexpected = packed().filter(
      (file) =>
        !/^dist\/(lib|lambda)\/.+\.(js|d\.ts)$/.test(file) &&
        !/^dist\/assets\/[a-z-]+\/index\.mjs(\.map)?$/.test(file) &&
        !/^dist\/cli\/console\/console\.(js|css)$|^dist\/cli\/console\/index\.html$/.test(file) &&
        !['dist/cli/volt-webhooks.cjs', 'cli/volt-webhooks.cjs', 'package.json', 'README.md', 'LICENSE'].includes(file),
    );
    expect(unexpected).toEqual([]);
    for (const dir of FUNCTION_DIRS) expect(packed()).toContain(`dist/assets/${dir}/index.mjs`);
    // The console's page, which the bundled CLI serves: no build step for users.
    expect(packed()).toEqual(
      expect.arrayContaining([
        'dist/cli/console/index.html',
        'dist/cli/console/console.css',
        'dist/cli/console/console.js',
      ]),
    );
    expect(packed()).toEqual(expect.arrayContaining(['dist/lib/index.js', 'dist/lib/index.d.ts', 'LICENSE']));
    // Five function bundles with their source maps (the archiver's S3 client alone is about
    // 1 MB of them) and the one-file CLI are most of it: 5.2 MB on 2026-11-30, since the consumer
    // carries the SQS client for the archive forward. The bound catches a stray folder or a
    // second copy of a bundle, not ordinary growth.
    expect(pack.unpackedSize).toBeLessThan(6 * 1024 * 1024);
  });

  describe('installed into a copy of examples/existing-app', () => {
    let appDir: string;
    let template: { Resources: Record<string, TemplateResource> };
    let typeCheck: RunResult;

    beforeAll(async () => {
      appDir = path.join(workDir, 'existing-app');
      cpSync(EXAMPLE, appDir, {
        recursive: true,
        filter: (src) => !/(^|\/)(node_modules|cdk\.out)$/.test(src),
      });
      // The example's own dependency list, each pointed at this repository's installed copy,
      // and the package itself at the tarball.
      const manifestFile = path.join(appDir, 'package.json');
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, Record<string, string>>;
      for (const field of ['dependencies', 'devDependencies']) {
        for (const name of Object.keys(manifest[field] ?? {})) {
          manifest[field]![name] =
            name === PACKAGE_NAME
              ? `file:${path.join(workDir, pack.filename)}`
              : `file:${path.join(ROOT, 'node_modules', name)}`;
        }
      }
      writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
      await mustRun('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], appDir);
      const bin = (...parts: string[]) => path.join(appDir, 'node_modules', ...parts);
      [, typeCheck] = await Promise.all([
        mustRun(
          process.execPath,
          [bin('aws-cdk', 'bin', 'cdk'), 'synth', '-q', '-c', 'voltApiTokenSecret=volt/api-token'],
          appDir,
        ),
        run(process.execPath, [bin('typescript', 'bin', 'tsc'), '-p', '.'], appDir),
      ]);
      template = JSON.parse(readFileSync(path.join(appDir, 'cdk.out', 'ExistingApp.template.json'), 'utf8')) as {
        Resources: Record<string, TemplateResource>;
      };
    }, TIMEOUT);

    const resources = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
    const logicalIdAt = (cdkPath: string) =>
      Object.entries(template.Resources).find(([, r]) => r.Metadata?.['aws:cdk:path'] === cdkPath)?.[0];

    test("synthesizes the pipeline's resources into the app's own stack", () => {
      expect(resources('AWS::ApiGatewayV2::Api')).toHaveLength(1);
      // The messages table, and the registration window's (the app registers with Volt).
      expect(
        resources('AWS::DynamoDB::Table')
          .map(([, r]) => r.Metadata?.['volt-webhooks:role'])
          .sort(),
      ).toEqual(['messages', 'registrationWindow']);
      expect(resources('Custom::VoltWebhookRegistration')).toHaveLength(1);
      // State queue, subscriber queue, archive queue (each with its DLQ), the quarantine and the
      // status-event publisher's failure destination.
      expect(resources('AWS::SQS::Queue')).toHaveLength(8);
      expect(resources('AWS::Glue::Table')).toHaveLength(1);
      expect(resources('AWS::CloudWatch::Dashboard')).toHaveLength(1);
    });

    test("attaches the app's own function to the subscriber queue", () => {
      const crmQueue = logicalIdAt('ExistingApp/Volt/Subscriber-crm/Queue/Resource');
      const crmSync = logicalIdAt('ExistingApp/CrmSync/Resource');
      expect(crmQueue).toBeDefined();
      const mapping = resources('AWS::Lambda::EventSourceMapping').find(
        ([, r]) => JSON.stringify(r.Properties?.['FunctionName']) === JSON.stringify({ Ref: crmSync }),
      );
      expect(mapping?.[1].Properties).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': [crmQueue, 'Arn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    test("attaches the app's own function to the pipeline's status-event bus with a content rule", () => {
      const bus = logicalIdAt('ExistingApp/Volt/Events/Bus/Resource');
      const alert = logicalIdAt('ExistingApp/FailureAlert/Resource');
      expect(bus).toBeDefined();
      const rule = resources('AWS::Events::Rule').find(([, r]) =>
        JSON.stringify(r.Properties?.['Targets']).includes(`"${alert}"`),
      );
      expect(rule?.[1].Properties).toMatchObject({
        EventBusName: { Ref: bus },
        EventPattern: {
          source: ['volt-sms-webhooks'],
          'detail-type': ['Message Failed'],
          detail: { errorCode: ['702'] },
        },
      });
    });

    test('brings no dependency of its own into the app: the functions and the CLI are bundled', () => {
      const installed = JSON.parse(
        readFileSync(path.join(appDir, 'node_modules', PACKAGE_NAME, 'package.json'), 'utf8'),
      ) as { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
      expect(installed.dependencies ?? {}).toEqual({});
      expect(Object.keys(installed.peerDependencies ?? {}).sort()).toEqual(['aws-cdk-lib', 'constructs']);
      for (const name of ['esbuild', '@aws-sdk', '@aws-lambda-powertools']) {
        expect(existsSync(path.join(appDir, 'node_modules', name))).toBe(false);
      }
    });

    test("deploys the package's prebuilt bundles, and each loads in a fresh Node with its handler export", async () => {
      const shipped = new Map(
        FUNCTION_DIRS.map((dir) => [
          readFileSync(path.join(appDir, 'node_modules', PACKAGE_NAME, 'dist', 'assets', dir, 'index.mjs'), 'utf8'),
          dir,
        ]),
      );
      const loaded: string[] = [];
      for (const [, fn] of resources('AWS::Lambda::Function')) {
        const asset = fn.Metadata?.['aws:asset:path'];
        if (typeof asset !== 'string' || fn.Properties?.['Handler'] !== 'index.handler') continue;
        const assetDir = path.join(appDir, 'cdk.out', asset);
        const bundle = path.join(assetDir, 'index.mjs');
        const dir = existsSync(bundle) ? shipped.get(readFileSync(bundle, 'utf8')) : undefined;
        if (dir === undefined) continue; // the app's own function
        // Imported from a copy outside the app, so the bundle can resolve nothing from any node_modules.
        const isolated = path.join(workDir, 'isolated', dir);
        cpSync(assetDir, isolated, { recursive: true });
        const environment = fn.Properties?.['Environment'] as { Variables?: Record<string, Json> } | undefined;
        const env = Object.fromEntries(
          Object.entries(environment?.Variables ?? {}).map(([key, value]) => [key, standIn(value)]),
        );
        const entry = pathToFileURL(path.join(isolated, 'index.mjs')).href;
        const probe = `const m = await import(${JSON.stringify(entry)}); console.log(typeof m.handler);`;
        const result = await run(process.execPath, ['--input-type=module', '-e', probe], isolated, {
          ...env,
          AWS_REGION: 'us-east-1',
          NODE_PATH: '',
          // Lambda runs these on Node 24; this machine's Node 20 would get the SDK's notice about it.
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        });
        expect({ dir, stdout: result.stdout.trim(), stderr: result.stderr }).toEqual({
          dir,
          stdout: 'function',
          stderr: '',
        });
        loaded.push(dir);
      }
      expect(loaded.sort()).toEqual([...FUNCTION_DIRS].sort());
      // One fresh Node per bundle, one after the other: about a second each, far more on a loaded machine.
    }, 60_000);

    test("type-checks against the package's declarations", () => {
      expect(typeCheck.stdout + typeCheck.stderr).toBe('');
      expect(typeCheck.status).toBe(0);
    });

    test('installs the volt-webhooks command, which runs from its one-file build', async () => {
      const result = await run(
        process.execPath,
        [path.join(appDir, 'node_modules', '.bin', 'volt-webhooks'), '--help'],
        appDir,
      );
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^Usage: volt-webhooks <command>/);
      expect(result.stderr).toBe('');
    }, 30_000);
  });
});
