import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { SqsEventSource, type BatchOutcome } from './event-source';
import { LocalHttpApi, type HttpRequestLog, type HttpRoute } from './http-api';
import { FunctionError, LocalFunction, type FunctionLogLine } from './lambda-runtime';
import { listen, startStandins, type ListeningServer, type StandinFaults, type Standins } from './standins';
import {
  constructPath,
  functionCodeDir,
  loadStack,
  resolveObject,
  resolveValue,
  resourcesOfType,
  stackId,
  TemplateError,
  type Json,
  type JsonObject,
  type LoadedStack,
  type ResolveContext,
} from './template';

/**
 * The local stack: everything the synthesized template declares that the product runs on,
 * brought up on this machine from the template itself (queues, tables, functions from their
 * bundles, the HTTP API, event source mappings, custom resources) on AWS stand-ins.
 */

export interface LocalStackPorts {
  /** The HTTP API. @default 0 (a free port) */
  readonly http?: number;
  readonly sqs?: number;
  readonly dynamodb?: number;
  readonly secretsManager?: number;
}

export interface LocalStackOptions {
  /** The cloud assembly directory (`cdk synth -o <dir>`). */
  readonly cdkOut: string;
  /** Needed only when the assembly holds several stacks. */
  readonly stackName?: string;
  readonly ports?: LocalStackPorts;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** Keep DynamoDB data here between runs; in memory when absent. */
  readonly dataDir?: string;
  /** Secrets to create in the Secrets Manager stand-in before anything runs: name -> value. */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Everything that happens, for a live log. */
  readonly onEvent?: (event: LocalStackEvent) => void;
  /** How to pick another port, shown when one is taken (e.g. the CLI flag). */
  readonly portHint?: (service: keyof LocalStackPorts) => string;
  /** Poll the event source mappings from the start; when false, `startEventSources()` starts them later. @default true */
  readonly eventSources?: boolean;
  /**
   * Function timeouts in seconds by display name (e.g. `{ consumer: 2 }`), instead of the
   * template's `Timeout`. Local-only, for fault tests that need a function to time out quickly.
   * @default the template's
   */
  readonly functionTimeouts?: Readonly<Record<string, number>>;
}

export type LocalStackEvent =
  | ({ readonly kind: 'http' } & HttpRequestLog)
  | ({ readonly kind: 'log' } & FunctionLogLine)
  | ({ readonly kind: 'batch' } & BatchOutcome)
  | { readonly kind: 'info' | 'warn' | 'error'; readonly message: string };

export interface LocalQueue {
  readonly logicalId: string;
  /** Short name: `state`, `stateDlq`, a subscriber's name or `<name>Dlq` (see {@link queueKeyFor}). */
  readonly key: string;
  readonly path?: string;
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly visibilityTimeout: number;
  readonly redrive?: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number };
}

export interface LocalTable {
  readonly logicalId: string;
  readonly path?: string;
  readonly name: string;
  readonly arn: string;
  /** The TTL attribute the template declares; dynalite does not expire items. */
  readonly timeToLiveAttribute?: string;
}

export interface LocalCustomResource {
  readonly logicalId: string;
  readonly type: string;
  readonly physicalResourceId: string;
  readonly data: Readonly<Record<string, Json>>;
}

export interface LocalStack {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly sqsEndpoint: string;
  readonly dynamodbEndpoint: string;
  readonly secretsManagerEndpoint: string;
  /** Base URL of each HTTP API by logical id (its `ApiEndpoint`). */
  readonly apiEndpoints: Readonly<Record<string, string>>;
  /** The `WebhookUrl` output, when the template has one. */
  readonly webhookUrl?: string;
  readonly queues: readonly LocalQueue[];
  readonly tables: readonly LocalTable[];
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly customResources: readonly LocalCustomResource[];
  /** The template's outputs, resolved (those that could not be are left out, with a warning). */
  readonly outputs: Readonly<Record<string, Json>>;
  /** Starts polling the event source mappings (they start by themselves unless `eventSources: false`). */
  startEventSources(): void;
  /** Invokes a function by logical id or readable name. */
  invoke(functionId: string, event: unknown): Promise<unknown>;
  /** Fault injection into the AWS stand-ins, for fault tests (see local/standins.ts). */
  readonly faults: StandinFaults;
  /** Stops everything; state in memory is gone. */
  stop(): Promise<void>;
}

/** Local physical names: readable, stable per stack, within each service's length limit. */
function physicalName(stackName: string, logicalId: string, max: number): string {
  const name = `${stackName}-${logicalId}`;
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, max - 9)}-${hash}`;
}

/** `VoltSmsWebhooks/Pipeline/Ingest/Function/Resource` -> `ingest`: a short name for logs. */
export function displayNameFor(logicalId: string, path: string | undefined): string {
  if (!path) return logicalId;
  const parts = path.split('/').filter((p) => p !== 'Resource' && p !== 'Default');
  const meaningful = parts.filter((p) => !/^(Function|Handler|Queue|Table|Resource)$/.test(p));
  const last = meaningful[meaningful.length - 1] ?? logicalId;
  return last.replace(/^[A-Z]/, (c) => c.toLowerCase());
}

/**
 * The pipeline's queue names, as `.local/stack.json` and the logs use them, read from the
 * construct path (`.../StateQueue/Dlq/Resource` -> `stateDlq`, `.../Subscriber-crm/Queue/Resource`
 * -> `crm`); other queues keep a name derived from their path.
 */
export function queueKeyFor(logicalId: string, path: string | undefined): string {
  const m = /\/(StateQueue|Subscriber-([^/]+))\/(Queue|Dlq)\/Resource$/.exec(path ?? '');
  if (!m) return displayNameFor(logicalId, path);
  const base = m[2] ?? 'state';
  return m[3] === 'Dlq' ? `${base}Dlq` : base;
}

function num(value: Json | undefined, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  return Number.isFinite(n) ? n : fallback;
}

function str(value: Json | undefined): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const host = options.host ?? '127.0.0.1';
  const emit = options.onEvent ?? (() => undefined);
  const stack: LoadedStack = loadStack(options.cdkOut, options.stackName);
  const { template, stackName } = stack;
  const hint = (service: keyof LocalStackPorts) =>
    options.portHint?.(service) ?? `choose another ${service} port, or 0 for a free one`;

  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stoppers.splice(0).reverse()) {
      try {
        await stop();
      } catch (err: unknown) {
        emit({ kind: 'warn', message: `while stopping: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
  };

  try {
    const standins: Standins = await startStandins({
      region,
      accountId,
      host,
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ports: {
        ...(options.ports?.dynamodb !== undefined ? { dynamodb: options.ports.dynamodb } : {}),
        ...(options.ports?.sqs !== undefined ? { sqs: options.ports.sqs } : {}),
        ...(options.ports?.secretsManager !== undefined ? { secretsManager: options.ports.secretsManager } : {}),
      },
      portHint: hint,
    });
    stoppers.push(() => standins.stop());
    for (const [name, value] of Object.entries(options.secrets ?? {})) standins.secrets.put(name, value);

    const clientConfig = { region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    const sqs = new SQSClient({ ...clientConfig, endpoint: standins.sqsEndpoint });
    const dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: standins.dynamodbEndpoint });
    stoppers.push(async () => {
      sqs.destroy();
      dynamodb.destroy();
    });

    // Local values of every resource's Ref and GetAtt, known before anything is created so that
    // a queue's redrive policy or a function's environment resolves in one pass.
    const refs = new Map<string, string>();
    const attributes = new Map<string, Record<string, Json>>();
    const ctx: ResolveContext = {
      region,
      accountId,
      partition: 'aws',
      urlSuffix: 'amazonaws.com',
      stackName,
      template,
      refs,
      attributes,
    };
    const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${accountId}:${resource}`;

    // HTTP APIs listen first: their endpoint URL appears in outputs and custom resource properties.
    const apis = new Map<string, { api: LocalHttpApi; server: ListeningServer }>();
    const apiEndpoints: Record<string, string> = {};
    let firstApi = true;
    for (const [id, r] of resourcesOfType(template, 'AWS::ApiGatewayV2::Api')) {
      if (str(r.Properties?.['ProtocolType']) !== 'HTTP') {
        emit({
          kind: 'warn',
          message: `${id}: only HTTP APIs run locally; ${str(r.Properties?.['ProtocolType'])} API skipped`,
        });
        continue;
      }
      const apiId = createHash('sha256').update(`${stackName}/${id}`).digest('hex').slice(0, 10);
      const stageResource = resourcesOfType(template, 'AWS::ApiGatewayV2::Stage').find(
        ([, s]) => JSON.stringify(s.Properties?.['ApiId']) === JSON.stringify({ Ref: id }),
      );
      const stage = str(stageResource?.[1].Properties?.['StageName']) ?? '$default';
      const api = new LocalHttpApi({ apiId, stage, accountId, onRequest: (log) => emit({ kind: 'http', ...log }) });
      const server = await listen(
        createServer(api.handler),
        firstApi ? (options.ports?.http ?? 0) : 0,
        host,
        'HTTP API',
        hint('http'),
      );
      firstApi = false;
      stoppers.push(() => server.close());
      api.domainName = `${host}:${server.port}`;
      apis.set(id, { api, server });
      refs.set(id, apiId);
      apiEndpoints[id] = server.url;
      attributes.set(id, { ApiEndpoint: server.url, ApiId: apiId });
      if (stageResource) refs.set(stageResource[0], stage);
    }

    const queues: LocalQueue[] = [];
    for (const [id, r] of resourcesOfType(template, 'AWS::SQS::Queue')) {
      const fifo = r.Properties?.['FifoQueue'] === true || r.Properties?.['FifoQueue'] === 'true';
      const given = str(r.Properties?.['QueueName']);
      const name = given ?? `${physicalName(stackName, id, fifo ? 75 : 80)}${fifo ? '.fifo' : ''}`;
      const url = `${standins.sqsEndpoint}/${accountId}/${name}`;
      refs.set(id, url);
      attributes.set(id, { Arn: arn('sqs', name), QueueName: name, QueueUrl: url });
    }
    const tables: LocalTable[] = [];
    for (const [id, r] of resourcesOfType(template, 'AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable')) {
      const name = str(r.Properties?.['TableName']) ?? physicalName(stackName, id, 255);
      refs.set(id, name);
      attributes.set(id, {
        Arn: arn('dynamodb', `table/${name}`),
        StreamArn: arn('dynamodb', `table/${name}/stream/local`),
      });
    }
    for (const [id, r] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const name = str(r.Properties?.['FunctionName']) ?? physicalName(stackName, id, 64);
      refs.set(id, name);
      attributes.set(id, { Arn: arn('lambda', `function:${name}`) });
    }
    for (const [id, r] of resourcesOfType(template, 'AWS::IAM::Role')) {
      const name = str(r.Properties?.['RoleName']) ?? physicalName(stackName, id, 64);
      refs.set(id, name);
      attributes.set(id, {
        Arn: `arn:aws:iam::${accountId}:role/${name}`,
        RoleId: `AROA${id.slice(0, 16).toUpperCase()}`,
      });
    }
    for (const [id, r] of resourcesOfType(template, 'AWS::Logs::LogGroup')) {
      const name = str(r.Properties?.['LogGroupName']) ?? `/local/${physicalName(stackName, id, 200)}`;
      refs.set(id, name);
      attributes.set(id, { Arn: arn('logs', `log-group:${name}:*`) });
    }
    for (const [id, r] of resourcesOfType(template, 'AWS::SecretsManager::Secret')) {
      const name = str(r.Properties?.['Name']) ?? physicalName(stackName, id, 256);
      // A generated secret gets a random value locally too; a given SecretString is used as is.
      const value = str(r.Properties?.['SecretString']) ?? randomBytes(24).toString('base64url');
      const { arn: secretArn } = standins.secrets.put(name, value);
      refs.set(id, secretArn);
      attributes.set(id, { Id: secretArn });
    }
    for (const [id, r] of Object.entries(template.Resources)) {
      if (refs.has(id) || r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource') continue;
      // Resources with no local counterpart (policies, permissions, alarms...) still resolve, so
      // templates that mention them work; their values mean nothing locally.
      refs.set(id, physicalName(stackName, id, 128));
      attributes.set(id, { Arn: arn(r.Type.split('::')[1]?.toLowerCase() ?? 'local', id) });
    }

    // Queues: dead-letter targets first, because SQS checks that a redrive target exists.
    const pendingQueues = resourcesOfType(template, 'AWS::SQS::Queue');
    const created = new Set<string>();
    while (pendingQueues.length > 0) {
      const index = pendingQueues.findIndex(([, r]) => {
        const target = JSON.stringify(r.Properties?.['RedrivePolicy'] ?? {});
        return pendingQueues.every(([other]) => !target.includes(`"${other}"`));
      });
      const entry = index < 0 ? undefined : pendingQueues.splice(index, 1)[0];
      if (!entry)
        throw new TemplateError(
          `queues ${pendingQueues.map(([id]) => id).join(', ')} name each other as dead-letter queues`,
        );
      const [id, r] = entry;
      const props = resolveObject(r.Properties, ctx, `${id}.Properties`);
      const name = String(attributes.get(id)?.['QueueName']);
      const queueAttributes: Record<string, string> = {};
      for (const key of [
        'VisibilityTimeout',
        'MessageRetentionPeriod',
        'DelaySeconds',
        'MaximumMessageSize',
        'ReceiveMessageWaitTimeSeconds',
        'FifoQueue',
        'ContentBasedDeduplication',
        'DeduplicationScope',
        'FifoThroughputLimit',
      ]) {
        const v = props[key];
        if (v !== undefined && v !== null) queueAttributes[key] = String(v);
      }
      for (const key of ['RedrivePolicy', 'RedriveAllowPolicy']) {
        const v = props[key];
        if (v !== undefined && v !== null) queueAttributes[key] = typeof v === 'string' ? v : JSON.stringify(v);
      }
      const out = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: queueAttributes }));
      const url = refs.get(id) ?? '';
      if (out.QueueUrl !== url)
        throw new Error(`${id}: the SQS stand-in named the queue ${out.QueueUrl}, expected ${refs.get(id)}`);
      created.add(id);
      const redrive = props['RedrivePolicy'];
      const redriveObject = typeof redrive === 'string' ? (JSON.parse(redrive) as JsonObject) : redrive;
      queues.push({
        logicalId: id,
        key: queueKeyFor(id, constructPath(r)),
        ...(constructPath(r) ? { path: constructPath(r) } : {}),
        name,
        url,
        arn: String(attributes.get(id)?.['Arn']),
        visibilityTimeout: num(props['VisibilityTimeout'], 30),
        ...(redriveObject && typeof redriveObject === 'object' && !Array.isArray(redriveObject)
          ? {
              redrive: {
                deadLetterTargetArn: String(redriveObject['deadLetterTargetArn']),
                maxReceiveCount: num(redriveObject['maxReceiveCount'], 1),
              },
            }
          : {}),
      });
    }

    for (const [id, r] of resourcesOfType(template, 'AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable')) {
      const props = resolveObject(r.Properties, ctx, `${id}.Properties`);
      const name = refs.get(id) ?? id;
      const indexes = (list: Json | undefined) =>
        Array.isArray(list)
          ? list.map((index) => {
              const ix = index as JsonObject;
              return {
                IndexName: String(ix['IndexName']),
                KeySchema: ix['KeySchema'],
                Projection: ix['Projection'] ?? { ProjectionType: 'ALL' },
              };
            })
          : undefined;
      const gsis = indexes(props['GlobalSecondaryIndexes']);
      const lsis = indexes(props['LocalSecondaryIndexes']);
      // Capacity means nothing locally: every table is on-demand, whatever the template bills.
      const input = {
        TableName: name,
        KeySchema: props['KeySchema'],
        AttributeDefinitions: props['AttributeDefinitions'],
        BillingMode: 'PAY_PER_REQUEST',
        ...(gsis?.length ? { GlobalSecondaryIndexes: gsis } : {}),
        ...(lsis?.length ? { LocalSecondaryIndexes: lsis } : {}),
      } as unknown as CreateTableCommandInput;
      try {
        await dynamodb.send(new CreateTableCommand(input));
      } catch (err: unknown) {
        // With a data directory the table survives from the last run.
        if (!(err instanceof Error && err.name === 'ResourceInUseException')) {
          throw new TemplateError(
            `${id}: the DynamoDB stand-in refused the table: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
      }
      const ttl = props['TimeToLiveSpecification'] as JsonObject | undefined;
      const ttlAttribute = ttl && ttl['Enabled'] !== false ? str(ttl['AttributeName']) : undefined;
      if (ttlAttribute)
        emit({
          kind: 'info',
          message: `table ${name}: TTL on "${ttlAttribute}" is not enforced locally (dynalite has no TTL)`,
        });
      if (props['StreamSpecification'])
        emit({ kind: 'warn', message: `table ${name}: DynamoDB streams are not emulated locally` });
      tables.push({
        logicalId: id,
        ...(constructPath(r) ? { path: constructPath(r) } : {}),
        name,
        arn: String(attributes.get(id)?.['Arn']),
        ...(ttlAttribute ? { timeToLiveAttribute: ttlAttribute } : {}),
      });
    }

    // Functions, each from its bundle, with the environment Lambda would give it.
    const functions = new Map<string, LocalFunction>();
    const byArn = new Map<string, LocalFunction>();
    const logLine = (line: FunctionLogLine) => emit({ kind: 'log', ...line });
    for (const [id, r] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const props = resolveObject(r.Properties, ctx, `${id}.Properties`);
      const runtime = str(props['Runtime']) ?? '';
      if (!runtime.startsWith('nodejs'))
        throw new TemplateError(`${id}: runtime ${runtime || '(none)'} cannot run locally; only Node.js functions do`);
      const handler = str(props['Handler']);
      if (!handler) throw new TemplateError(`${id}: no Handler`);
      const variables = ((props['Environment'] as JsonObject | undefined)?.['Variables'] ?? {}) as JsonObject;
      const functionName = refs.get(id) ?? id;
      const loggingConfig = props['LoggingConfig'] as JsonObject | undefined;
      const logGroup = str(loggingConfig?.['LogGroup']) ?? `/aws/lambda/${functionName}`;
      const environment: Record<string, string> = {};
      for (const [k, v] of Object.entries(variables)) environment[k] = typeof v === 'string' ? v : JSON.stringify(v);
      Object.assign(environment, {
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_SESSION_TOKEN: 'local',
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(num(props['MemorySize'], 128)),
        AWS_LAMBDA_LOG_GROUP_NAME: logGroup,
        AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${randomUUID().replace(/-/g, '')}`,
        ...(str(loggingConfig?.['LogFormat']) ? { AWS_LAMBDA_LOG_FORMAT: str(loggingConfig?.['LogFormat']) } : {}),
        // As Lambda's logging controls do; Powertools Logger follows it.
        ...(str(loggingConfig?.['ApplicationLogLevel'])
          ? { AWS_LAMBDA_LOG_LEVEL: str(loggingConfig?.['ApplicationLogLevel']) }
          : {}),
        LAMBDA_TASK_ROOT: functionCodeDir(stack, id),
        TZ: 'UTC',
        // The SDK's standard per-service endpoint settings: function code needs no local branch.
        AWS_ENDPOINT_URL_SQS: standins.sqsEndpoint,
        AWS_ENDPOINT_URL_DYNAMODB: standins.dynamodbEndpoint,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: standins.secretsManagerEndpoint,
        // The warning is about this machine's Node 20, not the function's Lambda runtime.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      });
      const reserved = num(props['ReservedConcurrentExecutions'], 4);
      const displayName = displayNameFor(id, constructPath(r));
      const fn = new LocalFunction(
        {
          logicalId: id,
          displayName,
          functionName,
          functionArn: String(attributes.get(id)?.['Arn']),
          codeDir: functionCodeDir(stack, id),
          handler,
          runtime,
          timeout:
            (options.functionTimeouts && Object.hasOwn(options.functionTimeouts, displayName)
              ? options.functionTimeouts[displayName]
              : undefined) ?? num(props['Timeout'], 3),
          memorySize: num(props['MemorySize'], 128),
          environment,
          maxConcurrency: Math.max(1, Math.min(reserved, 4)),
        },
        logLine,
      );
      functions.set(id, fn);
      byArn.set(String(attributes.get(id)?.['Arn']), fn);
      stoppers.push(() => fn.stop());
    }
    const initFailures = (
      await Promise.all(
        // A Provider's framework function is never invoked locally (its onEvent function is), and it
        // needs the SDK copy that only Lambda's runtime provides: it is not started.
        [...functions.values()]
          .filter((fn) => !fn.definition.environment['USER_ON_EVENT_FUNCTION_ARN'])
          .map((fn) =>
            fn.warm().then(
              () => undefined,
              (err: unknown) => (err instanceof Error ? err.message : String(err)),
            ),
          ),
      )
    ).filter((m): m is string => m !== undefined);
    if (initFailures.length > 0)
      throw new Error(`functions failed to initialize, as they would on Lambda:\n  ${initFailures.join('\n  ')}`);

    const functionFor = (reference: string, where: string): LocalFunction => {
      // Lambda accepts a name, a full ARN, or an ARN with a qualifier or an API Gateway invocation path around it.
      const direct =
        byArn.get(reference) ?? [...functions.values()].find((f) => f.definition.functionName === reference);
      if (direct) return direct;
      const embedded = /arn:aws:lambda:[^:]+:[^:]+:function:[^/:]+/.exec(reference)?.[0];
      const found = embedded ? byArn.get(embedded) : undefined;
      if (!found) throw new TemplateError(`${where}: ${reference} is not a function of this stack`);
      return found;
    };

    // Routes of the HTTP APIs.
    const routesByApi = new Map<string, HttpRoute[]>();
    for (const [id, r] of resourcesOfType(template, 'AWS::ApiGatewayV2::Route')) {
      const props = resolveObject(r.Properties, ctx, `${id}.Properties`);
      const apiLogical = [...apis.keys()].find((a) => refs.get(a) === props['ApiId']);
      if (!apiLogical) continue;
      const targetText = str(props['Target']);
      if (!targetText) {
        emit({ kind: 'warn', message: `${id}: route ${str(props['RouteKey'])} has no integration; skipped` });
        continue;
      }
      const integrationId = targetText.replace(/^integrations\//, '');
      const integration = Object.entries(template.Resources).find(([iid]) => refs.get(iid) === integrationId);
      if (!integration || integration[1].Type !== 'AWS::ApiGatewayV2::Integration')
        throw new TemplateError(`${id}: target ${targetText} is not an integration in the template`);
      const ip = resolveObject(integration[1].Properties, ctx, `${integration[0]}.Properties`);
      if (str(ip['IntegrationType']) !== 'AWS_PROXY')
        throw new TemplateError(
          `${integration[0]}: only Lambda proxy integrations run locally, not ${str(ip['IntegrationType'])}`,
        );
      if (str(ip['PayloadFormatVersion']) !== '2.0')
        throw new TemplateError(
          `${integration[0]}: payload format ${str(ip['PayloadFormatVersion'])} is not emulated; only 2.0 is`,
        );
      const target = functionFor(str(ip['IntegrationUri']) ?? '', integration[0]);
      const list = routesByApi.get(apiLogical) ?? [];
      list.push({ routeKey: str(props['RouteKey']) ?? '$default', target });
      routesByApi.set(apiLogical, list);
    }
    for (const [id, { api }] of apis) api.setRoutes(routesByApi.get(id) ?? []);

    // Custom resources: the user's onEvent function gets a CloudFormation-style event directly,
    // instead of going through the provider framework's function and its S3 response URL.
    const customResources: LocalCustomResource[] = [];
    const invokeCustom = async (
      id: string,
      type: string,
      requestType: 'Create' | 'Delete',
      properties: JsonObject,
      physicalResourceId?: string,
    ) => {
      const token = str(properties['ServiceToken']);
      if (!token) throw new TemplateError(`${id}: no ServiceToken`);
      const framework = functionFor(token, `${id}.ServiceToken`);
      const onEventArn = framework.definition.environment['USER_ON_EVENT_FUNCTION_ARN'];
      const isCompleteArn = framework.definition.environment['USER_IS_COMPLETE_FUNCTION_ARN'];
      if (!onEventArn) {
        throw new TemplateError(
          `${id}: its ServiceToken is not a custom-resources Provider (no USER_ON_EVENT_FUNCTION_ARN); only Provider-backed custom resources run locally`,
        );
      }
      const onEvent = functionFor(onEventArn, `${id} provider onEvent`);
      const event: Record<string, unknown> = {
        RequestType: requestType,
        ServiceToken: token,
        ResponseURL: 'http://localhost/local-stack-does-not-use-response-urls',
        StackId: stackId(ctx),
        RequestId: randomUUID(),
        LogicalResourceId: id,
        ResourceType: type,
        ResourceProperties: properties,
        ...(physicalResourceId ? { PhysicalResourceId: physicalResourceId } : {}),
      };
      const { value } = await onEvent.invoke(event);
      const result = (value ?? {}) as { PhysicalResourceId?: unknown; Data?: Record<string, Json> };
      if (isCompleteArn) {
        const isComplete = functionFor(isCompleteArn, `${id} provider isComplete`);
        const deadline = Date.now() + 60_000;
        for (;;) {
          const done = (await isComplete.invoke({ ...event, ...result })).value as {
            IsComplete?: boolean;
            Data?: Record<string, Json>;
          } | null;
          if (done?.IsComplete) {
            result.Data = { ...(result.Data ?? {}), ...(done.Data ?? {}) };
            break;
          }
          if (Date.now() > deadline) throw new Error(`${id}: isComplete did not report completion within 60 s`);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
      return {
        physicalResourceId:
          typeof result.PhysicalResourceId === 'string'
            ? result.PhysicalResourceId
            : (physicalResourceId ?? String(event['RequestId'])),
        data: result.Data ?? {},
      };
    };
    for (const [id, r] of Object.entries(template.Resources)) {
      if (!r.Type.startsWith('Custom::') && r.Type !== 'AWS::CloudFormation::CustomResource') continue;
      const properties = resolveObject(r.Properties, ctx, `${id}.Properties`);
      let outcome: { physicalResourceId: string; data: Record<string, Json> };
      try {
        outcome = await invokeCustom(id, r.Type, 'Create', properties);
      } catch (err: unknown) {
        const detail =
          err instanceof FunctionError
            ? `${err.payload.errorType}: ${err.payload.errorMessage}`
            : err instanceof Error
              ? err.message
              : String(err);
        throw new Error(`custom resource ${id} (${r.Type}) failed to create, as the deployment would: ${detail}`, {
          cause: err,
        });
      }
      refs.set(id, outcome.physicalResourceId);
      attributes.set(id, outcome.data);
      customResources.push({ logicalId: id, type: r.Type, ...outcome });
      emit({ kind: 'info', message: `custom resource ${id} (${r.Type}) created: ${outcome.physicalResourceId}` });
      stoppers.push(async () => {
        try {
          await invokeCustom(id, r.Type, 'Delete', properties, outcome.physicalResourceId);
          emit({ kind: 'info', message: `custom resource ${id} deleted` });
        } catch (err: unknown) {
          emit({
            kind: 'warn',
            message: `custom resource ${id} failed to delete: ${err instanceof Error ? err.message : String(err)}`,
          });
        }
      });
    }

    // Event source mappings, polled like Lambda's pollers.
    const eventSources: SqsEventSource[] = [];
    {
      for (const [id, r] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
        const props = resolveObject(r.Properties, ctx, `${id}.Properties`);
        if (props['Enabled'] === false) continue;
        const sourceArn = str(props['EventSourceArn']) ?? '';
        const queue = queues.find((q) => q.arn === sourceArn);
        if (!queue) {
          emit({ kind: 'warn', message: `${id}: only SQS event sources run locally; ${sourceArn} skipped` });
          continue;
        }
        if (props['FilterCriteria'])
          throw new TemplateError(
            `${id}: FilterCriteria is not emulated locally; a local run would deliver what AWS filters out`,
          );
        const target = functionFor(str(props['FunctionName']) ?? '', `${id}.FunctionName`);
        const types = Array.isArray(props['FunctionResponseTypes']) ? props['FunctionResponseTypes'] : [];
        const source = new SqsEventSource(
          {
            logicalId: id,
            queueName: queue.key,
            queueUrl: queue.url,
            queueArn: queue.arn,
            target,
            batchSize: num(props['BatchSize'], 10),
            maximumBatchingWindowInSeconds: num(props['MaximumBatchingWindowInSeconds'], 0),
            reportBatchItemFailures: types.includes('ReportBatchItemFailures'),
            ...(queue.redrive ? { maxReceiveCount: queue.redrive.maxReceiveCount } : {}),
            region,
          },
          sqs,
          (outcome) => emit({ kind: 'batch', ...outcome }),
          (err: unknown) =>
            emit({
              kind: 'error',
              message: `${id}: polling ${queue.name} failed: ${err instanceof Error ? err.message : String(err)}`,
            }),
        );
        eventSources.push(source);
        if (options.eventSources !== false) source.start();
        stoppers.push(() => source.stop());
      }
    }

    const outputs: Record<string, Json> = {};
    for (const [name, output] of Object.entries(template.Outputs ?? {})) {
      try {
        outputs[name] = resolveValue(output.Value, ctx, `Outputs.${name}`);
      } catch (err: unknown) {
        emit({
          kind: 'warn',
          message: `output ${name} has no local value: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    }
    const webhookUrl = typeof outputs['WebhookUrl'] === 'string' ? outputs['WebhookUrl'] : undefined;

    let stopped = false;
    return {
      stackName,
      region,
      accountId,
      sqsEndpoint: standins.sqsEndpoint,
      dynamodbEndpoint: standins.dynamodbEndpoint,
      secretsManagerEndpoint: standins.secretsManagerEndpoint,
      apiEndpoints,
      ...(webhookUrl ? { webhookUrl } : {}),
      queues,
      tables,
      functions,
      customResources,
      outputs,
      faults: standins.faults,
      startEventSources: () => eventSources.forEach((s) => s.start()),
      invoke: async (functionId, event) => {
        const fn =
          functions.get(functionId) ??
          [...functions.values()].find(
            (f) => f.definition.displayName === functionId || f.definition.functionName === functionId,
          );
        if (!fn)
          throw new Error(
            `no function ${functionId}; the stack has ${[...functions.values()].map((f) => f.definition.displayName).join(', ')}`,
          );
        return (await fn.invoke(event)).value;
      },
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stopAll();
      },
    };
  } catch (err: unknown) {
    await stopAll();
    throw err;
  }
}
