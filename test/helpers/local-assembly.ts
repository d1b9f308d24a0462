import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * A small hand-written cloud assembly for the runner's own behaviour (event source mapping,
 * HTTP API, Lambda runtime), so those tests do not depend on the product's template and run
 * with a 1-second visibility timeout instead of the state queue's 180 s.
 */

// One bundle that plays three parts: SQS consumer, HTTP handler, and a function that overruns.
const FUNCTION_CODE = `
export const handler = async (event) => {
  if (event.Records) {
    console.log(JSON.stringify({ level: 'INFO', message: 'batch', records: event.Records }));
    if (event.Records.some((r) => r.body === 'throw')) throw new Error('the whole batch fails');
    return { batchItemFailures: event.Records.filter((r) => r.body === 'poison').map((r) => ({ itemIdentifier: r.messageId })) };
  }
  if (event.sleepMs) {
    await new Promise((r) => setTimeout(r, event.sleepMs));
    return 'slept';
  }
  if (event.rawPath === '/boom') throw new Error('boom');
  if (event.rawPath === '/plain') return { hello: 'world' };
  return { statusCode: 201, headers: { 'content-type': 'application/json', 'x-sub': process.env.SUB }, body: JSON.stringify(event) };
};
`;

export interface MiniAssemblyOptions {
  /** The Lambda `Handler` setting. @default 'index.handler' */
  readonly handler?: string;
  readonly maxReceiveCount?: number;
  /** The stage's `DefaultRouteSettings` throttle. @default none */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
}

/** One queue with its DLQ, one function consuming it and serving an HTTP API's routes. */
function miniTemplate(options: MiniAssemblyOptions): object {
  return {
    Resources: {
      Dlq: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1209600 } },
      Queue: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          VisibilityTimeout: 1,
          RedrivePolicy: {
            deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] },
            maxReceiveCount: options.maxReceiveCount ?? 2,
          },
        },
      },
      Role: { Type: 'AWS::IAM::Role', Properties: {} },
      Fn: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Code: { S3Bucket: { 'Fn::Sub': 'cdk-assets-${AWS::AccountId}-${AWS::Region}' }, S3Key: 'abc123.zip' },
          Handler: options.handler ?? 'index.handler',
          Runtime: 'nodejs22.x',
          Timeout: 1,
          Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
          Environment: {
            Variables: { QUEUE_URL: { Ref: 'Queue' }, SUB: { 'Fn::Sub': '${AWS::Region}/${Queue.QueueName}' } },
          },
          LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'WARN' },
        },
        Metadata: { 'aws:cdk:path': 'Mini/Worker/Resource' },
      },
      Mapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] },
          FunctionName: { Ref: 'Fn' },
          BatchSize: 10,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        },
      },
      Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'mini', ProtocolType: 'HTTP' } },
      Stage: {
        Type: 'AWS::ApiGatewayV2::Stage',
        Properties: {
          ApiId: { Ref: 'Api' },
          StageName: '$default',
          AutoDeploy: true,
          ...(options.throttle
            ? {
                DefaultRouteSettings: {
                  ThrottlingRateLimit: options.throttle.rateLimit,
                  ThrottlingBurstLimit: options.throttle.burstLimit,
                },
              }
            : {}),
        },
      },
      Integration: {
        Type: 'AWS::ApiGatewayV2::Integration',
        Properties: {
          ApiId: { Ref: 'Api' },
          IntegrationType: 'AWS_PROXY',
          IntegrationUri: { 'Fn::GetAtt': ['Fn', 'Arn'] },
          PayloadFormatVersion: '2.0',
        },
      },
      Boom: {
        Type: 'AWS::ApiGatewayV2::Route',
        Properties: {
          ApiId: { Ref: 'Api' },
          RouteKey: 'POST /boom',
          Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'Integration' }]] },
        },
      },
      Plain: {
        Type: 'AWS::ApiGatewayV2::Route',
        Properties: {
          ApiId: { Ref: 'Api' },
          RouteKey: 'GET /plain',
          Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'Integration' }]] },
        },
      },
      Echo: {
        Type: 'AWS::ApiGatewayV2::Route',
        Properties: {
          ApiId: { Ref: 'Api' },
          RouteKey: 'ANY /echo/{proxy+}',
          Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'Integration' }]] },
        },
      },
    },
    Outputs: {
      ApiUrl: { Value: { 'Fn::GetAtt': ['Api', 'ApiEndpoint'] } },
      DlqName: { Value: { 'Fn::Select': [5, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Dlq', 'Arn'] }] }] } },
    },
  };
}

/**
 * Writes a cloud assembly of one stack, `Mini`, holding `template`, into a new temporary folder:
 * the manifest, the asset manifest naming `assets` (asset id -> bundle source), and each bundle
 * as `asset.<id>/index.mjs`. Returns the folder; the caller removes it.
 */
export function writeAssembly(template: object, assets: Readonly<Record<string, string>> = {}): string {
  const outdir = mkdtempSync(path.join(tmpdir(), 'volt-local-mini-'));
  const files: Record<string, object> = {};
  for (const [id, code] of Object.entries(assets)) {
    mkdirSync(path.join(outdir, `asset.${id}`));
    writeFileSync(path.join(outdir, `asset.${id}`, 'index.mjs'), code);
    files[id] = { source: { path: `asset.${id}`, packaging: 'zip' }, destinations: { d: { objectKey: `${id}.zip` } } };
  }
  writeFileSync(
    path.join(outdir, 'manifest.json'),
    JSON.stringify({
      version: '55.0.0',
      artifacts: {
        'Mini.assets': { type: 'cdk:asset-manifest', properties: { file: 'Mini.assets.json' } },
        Mini: { type: 'aws:cloudformation:stack', properties: { templateFile: 'Mini.template.json' } },
      },
    }),
  );
  writeFileSync(path.join(outdir, 'Mini.assets.json'), JSON.stringify({ version: '55.0.0', files }));
  writeFileSync(path.join(outdir, 'Mini.template.json'), JSON.stringify(template));
  return outdir;
}

export function writeMiniAssembly(options: MiniAssemblyOptions = {}): string {
  return writeAssembly(miniTemplate(options), { abc123: FUNCTION_CODE });
}
