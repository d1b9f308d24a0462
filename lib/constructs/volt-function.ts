import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as path from 'node:path';

/** The repository root: function entries and the lock file are found from here. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** The Lambda runtime every function of this project runs on. */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_22_X;

export interface VoltFunctionProps {
  /** Folder under `lambda/` holding the function's `handler.ts`. */
  readonly functionDir: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** Environment variables; the construct adds its own without overwriting these. */
  readonly environment?: Record<string, string>;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The one function definition every Lambda of the project shares: current Node.js runtime on
 * arm64, X-Ray tracing, a log group with retention, and an ESM bundle built by the local
 * esbuild (never Docker) that includes the AWS SDK, so what was tested is what runs.
 */
export class VoltFunction extends NodejsFunction {
  /** The function's log group, with retention, destroyed with the stack. */
  public readonly logGroupResource: logs.LogGroup;

  constructor(scope: Construct, id: string, props: VoltFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: path.join(PROJECT_ROOT, 'lambda', props.functionDir, 'handler.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        platform: 'node',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // Bundle the SDK instead of using the runtime's copy: faster cold start, pinned version.
        externalModules: [],
        // ESM output still meets CommonJS dependencies that call require().
        banner: "import { createRequire as __voltCreateRequire } from 'node:module'; const require = __voltCreateRequire(import.meta.url);",
      },
    });
    this.logGroupResource = logGroup;
  }
}
