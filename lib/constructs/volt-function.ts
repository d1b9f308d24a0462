import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { METRICS_NAMESPACE_ENV, metricsNamespaceFor } from '../../lambda/common/metrics';
import { Problems, shown, throwIfAny, type Problem } from '../validation';

/**
 * The repository root, where function entries and the lock file are found; in the installed
 * package, the `dist/` folder, where the prebuilt bundles are (`assets/<function>/`).
 */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/**
 * In this repository a function is bundled from its source, so a local edit is what synth
 * deploys. The published package has no sources: it ships the bundles the build made from them
 * with this same definition (`npm run build`), so a consumer's synth needs neither esbuild nor
 * the functions' dependencies.
 */
function functionCode(
  functionDir: string,
): { entry: string; handler: string } | { code: lambda.Code; handler: string } {
  const entry = path.join(PROJECT_ROOT, 'lambda', functionDir, 'handler.ts');
  if (existsSync(entry)) return { entry, handler: 'handler' };
  const bundle = path.join(PROJECT_ROOT, 'assets', functionDir);
  if (existsSync(path.join(bundle, 'index.mjs')))
    return { code: lambda.Code.fromAsset(bundle), handler: 'index.handler' };
  throw new Error(
    `Function "${functionDir}": neither its source (${entry}) nor its prebuilt bundle (${bundle}) exists`,
  );
}

/** The Lambda runtime every function of this project runs on: the latest Node.js that Lambda offers. */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** The application log levels Lambda's logging controls accept and the functions use. */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface VoltFunctionProps {
  /** Folder under `lambda/` holding the function's `handler.ts`. */
  readonly functionDir: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** How long one invocation may run. @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** Memory in MB (CPU scales with it). @default 256 */
  readonly memorySize?: number;
  /** Environment variables; the construct adds its own without overwriting these. @default none */
  readonly environment?: Record<string, string>;
  /** How long the function's logs are kept. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Map stack traces through the bundle's source map at run time (`--enable-source-maps`). It
   * costs every cold start about 7-14 ms of parsing the map (docs/performance.md), so the
   * latency-bound functions go without; their `.map` ships in the asset all the same, and the
   * flag can be set on a function in the console while debugging. @default false
   */
  readonly sourceMapsAtRuntime?: boolean;
  /**
   * The application log level, set through Lambda's logging controls (`AWS_LAMBDA_LOG_LEVEL`,
   * which Powertools Logger follows). @default 'INFO'
   */
  readonly logLevel?: LogLevel;
}

/**
 * The one function definition every Lambda of the project shares: current Node.js runtime on
 * arm64, X-Ray tracing, a log group with retention, and an ESM bundle built by the local
 * esbuild (never Docker) that includes the AWS SDK, so what was tested is what runs.
 */
export class VoltFunction extends NodejsFunction {
  /** The function's log group, with retention, destroyed with the stack. */
  public readonly logGroupResource: logs.LogGroup;

  /** Every problem with these props (the settings a caller passes on), without creating anything. */
  static checkProps(props: Partial<VoltFunctionProps>): readonly Problem[] {
    const problems = new Problems('VoltFunction');
    if (props.logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(props.logLevel)) {
      problems.add('logLevel', `must be one of ${LOG_LEVELS.join(', ')}, got ${shown(props.logLevel)}`);
    }
    return problems.all;
  }

  constructor(scope: Construct, id: string, props: VoltFunctionProps) {
    throwIfAny(VoltFunction.checkProps(props));
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Instead of the AWSLambdaBasicExecutionRole managed policy (logs on every group in the
    // account): write access to this function's own log group only.
    const role = new iam.Role(scope, `${id}ServiceRole`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description.slice(0, 1000),
      inlinePolicies: {
        OwnLogGroup: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logGroup.logGroupArn],
            }),
          ],
        }),
      },
    });
    super(scope, id, {
      ...functionCode(props.functionDir),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel[props.logLevel ?? 'INFO'],
      environment: {
        ...(props.sourceMapsAtRuntime ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
        [METRICS_NAMESPACE_ENV]: metricsNamespaceFor(Stack.of(scope).stackName),
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        // Below the runtime on purpose: the local stack runs these same bundles on the laptop's Node.
        target: 'node22',
        platform: 'node',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // Bundle the SDK instead of using the runtime's copy: faster cold start, pinned version.
        externalModules: [],
        // Lambda always provides environment credentials: the SDK's full credential chain (SSO, INI,
        // IMDS, STS clients) only slows every cold start (measured in docs/performance.md).
        // Relative to the project root, where esbuild runs, so the asset hash is the same on every machine.
        esbuildArgs: { '--alias:@aws-sdk/credential-provider-node': './lambda/common/env-credentials.ts' },
        // ESM output still meets CommonJS dependencies that call require().
        banner:
          "import { createRequire as __voltCreateRequire } from 'node:module'; const require = __voltCreateRequire(import.meta.url);",
      },
    });
    this.logGroupResource = logGroup;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions. ' +
        'Any other wildcard on this role is caught by the infra test that allows a "*" resource only with xray: actions.',
    });
  }
}
