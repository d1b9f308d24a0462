import { App, CfnResource, Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT, VoltFunction, type VoltFunctionProps } from '../../../../lib/constructs/volt-function';
import { InvalidPropsError } from '../../../../lib/validation';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

const STACK_NAME = 'FnStack';

/** One VoltFunction alone in a stack; bundling is skipped unless asked for (most tests read the template only). */
function synth(props: Partial<VoltFunctionProps> = {}, options: { bundle?: boolean } = {}) {
  const app = new App(options.bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, STACK_NAME);
  const fn = new VoltFunction(stack, 'Fn', { functionDir: 'ingest', description: 'a test function', ...props });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const logicalId = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  const fnId = logicalId(fn);
  return {
    app,
    fn,
    template,
    resources,
    fnId,
    logGroupId: logicalId(fn.logGroupResource),
    properties: resources[fnId]!.Properties,
  };
}

const variables = (properties: Record<string, unknown>) =>
  (properties['Environment'] as { Variables: Record<string, unknown> }).Variables;

describe('VoltFunction', () => {
  it('runs on Node.js 24, on arm64, with active tracing', () => {
    const { properties } = synth();
    expect(properties['Runtime']).toBe('nodejs24.x');
    expect(properties['Architectures']).toEqual(['arm64']);
    expect(properties['TracingConfig']).toEqual({ Mode: 'Active' });
  });

  it('defaults to 256 MB and 10 s, and takes other values', () => {
    expect(synth().properties).toMatchObject({ MemorySize: 256, Timeout: 10 });
    expect(synth({ memorySize: 1024, timeout: Duration.seconds(30) }).properties).toMatchObject({
      MemorySize: 1024,
      Timeout: 30,
    });
  });

  it('logs JSON to a log group of its own, kept a month by default and deleted with the stack', () => {
    const { properties, resources, logGroupId } = synth();
    expect(properties['LoggingConfig']).toMatchObject({ LogFormat: 'JSON', LogGroup: { Ref: logGroupId } });
    expect(resources[logGroupId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Delete',
    });
  });

  it('keeps its logs as long as it is told', () => {
    const { resources, logGroupId } = synth({ logRetention: logs.RetentionDays.ONE_WEEK });
    expect(resources[logGroupId]?.Properties['RetentionInDays']).toBe(7);
  });

  it('may write to its own log group only, with no managed policy on its role', () => {
    const { template, logGroupId } = synth();
    const roles = Object.values(template.findResources('AWS::IAM::Role')) as Resource[];
    expect(roles).toHaveLength(1);
    const role = roles[0]!.Properties;
    expect(role['ManagedPolicyArns']).toBeUndefined();
    expect(role['Policies']).toEqual([
      {
        PolicyName: 'OwnLogGroup',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
            },
          ],
        },
      },
    ]);
  });

  it("sets the application log level through Lambda's logging controls: INFO by default, else the one given", () => {
    expect(synth().properties['LoggingConfig']).toMatchObject({ ApplicationLogLevel: 'INFO' });
    expect(synth({ logLevel: 'DEBUG' }).properties['LoggingConfig']).toMatchObject({ ApplicationLogLevel: 'DEBUG' });
  });

  it('refuses a log level Lambda does not know, before creating anything', () => {
    const bad = { logLevel: 'VERBOSE' as never };
    expect(VoltFunction.checkProps(bad)).toEqual([expect.objectContaining({ owner: 'VoltFunction', key: 'logLevel' })]);
    const stack = new Stack();
    expect(() => new VoltFunction(stack, 'Fn', { functionDir: 'ingest', description: 'x', ...bad })).toThrow(
      InvalidPropsError,
    );
    expect(stack.node.findAll().filter((c) => c instanceof CfnResource)).toEqual([]);
  });

  it("gives every function its stack's metrics namespace", () => {
    expect(variables(synth().properties)).toEqual({ POWERTOOLS_METRICS_NAMESPACE: `VoltWebhooks/${STACK_NAME}` });
  });

  it('turns on source maps at run time only when asked to', () => {
    expect(variables(synth().properties)['NODE_OPTIONS']).toBeUndefined();
    expect(variables(synth({ sourceMapsAtRuntime: true }).properties)['NODE_OPTIONS']).toBe('--enable-source-maps');
  });

  it("adds its variables to the caller's environment without overwriting any of them", () => {
    const environment = { POWERTOOLS_METRICS_NAMESPACE: 'Mine', NODE_OPTIONS: '--max-old-space-size=200', OWN: 'kept' };
    expect(variables(synth({ environment, sourceMapsAtRuntime: true }).properties)).toEqual(environment);
  });
});

describe('VoltFunction code', () => {
  /** The directory the cloud assembly staged the function's code in. */
  function stagedCode(app: App, properties: Record<string, unknown>): string {
    const key = (properties['Code'] as { S3Key: string }).S3Key;
    return path.join(app.outdir, `asset.${key.replace(/\.zip$/, '')}`);
  }

  it('bundles lambda/<functionDir>/handler.ts with esbuild in this repository: minified ESM with a source map', () => {
    const { app, properties } = synth({ functionDir: 'ingest' }, { bundle: true });
    expect(properties['Handler']).toBe('index.handler');
    const staged = stagedCode(app, properties);
    const bundle = readFileSync(path.join(staged, 'index.mjs'), 'utf8');
    // The createRequire banner: ESM output that CommonJS dependencies can still require() from.
    expect(bundle.startsWith('import { createRequire as __voltCreateRequire }')).toBe(true);
    expect(bundle).toContain('volt-webhooks-ingest');
    expect(existsSync(path.join(staged, 'index.mjs.map'))).toBe(true);
  }, 60_000);

  describe('without the source (the installed package)', () => {
    let dir: string;
    let functionDir: string;
    const PREBUILT = 'export const handler = async () => "prebuilt";\n';

    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'volt-fn-'));
      // `lambda/<functionDir>` and `assets/<functionDir>` both name this directory; it holds no handler.ts.
      functionDir = path.relative(path.join(PROJECT_ROOT, 'lambda'), dir);
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('deploys the prebuilt bundle in assets/<functionDir>/ as it is', () => {
      writeFileSync(path.join(dir, 'index.mjs'), PREBUILT);
      const { app, properties } = synth({ functionDir }, { bundle: true });
      expect(properties['Handler']).toBe('index.handler');
      expect(readFileSync(path.join(stagedCode(app, properties), 'index.mjs'), 'utf8')).toBe(PREBUILT);
    });

    it('fails naming both places it looked when neither exists', () => {
      expect(() => synth({ functionDir })).toThrow(
        new RegExp(
          `neither its source \\(.*handler\\.ts\\) nor its prebuilt bundle \\(${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`,
        ),
      );
    });
  });
});
