import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SqsEventSource } from './event-source';
import type { DynamoDbStreamEventSource } from './stream-event-source';
import type { LocalHttpApi } from './http-api';
import type { LocalFunction } from './lambda-runtime';
import type {
  LocalBucket,
  LocalCustomResource,
  LocalQueue,
  LocalStackEvent,
  LocalStackOptions,
  LocalStackPorts,
  LocalTable,
} from './model';
import { physicalName } from './names';
import type { Stop } from './resources/kind';
import type { Standins } from './standins';
import {
  resolveObject,
  TemplateError,
  type CfnTemplate,
  type Json,
  type JsonObject,
  type LoadedStack,
  type ResolveContext,
} from './template';

/** The options every resource sees, with their defaults applied. */
export interface DeploymentSettings {
  readonly region: string;
  readonly accountId: string;
  readonly host: string;
  readonly options: LocalStackOptions;
}

/**
 * One local deployment of a template, as the resource modules build it: the values of every
 * `Ref` and `GetAtt`, the stand-ins and clients, what has started so far (for resources that
 * refer to others: a route to its function, a mapping to its queue), and how to stop it all.
 */
export class Deployment {
  readonly refs = new Map<string, string>();
  readonly attributes = new Map<string, Readonly<Record<string, Json>>>();
  readonly ctx: ResolveContext;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;

  readonly queues: LocalQueue[] = [];
  readonly tables: LocalTable[] = [];
  readonly buckets: LocalBucket[] = [];
  /** By logical id. */
  readonly functions = new Map<string, LocalFunction>();
  /** By logical id. */
  readonly apis = new Map<string, LocalHttpApi>();
  /** Base URL of each HTTP API by logical id. */
  readonly apiEndpoints: Record<string, string> = {};
  readonly customResources: LocalCustomResource[] = [];
  readonly eventSources: (SqsEventSource | DynamoDbStreamEventSource)[] = [];
  private readonly stops: Stop[] = [];

  constructor(
    readonly stack: LoadedStack,
    readonly settings: DeploymentSettings,
    readonly standins: Standins,
  ) {
    const { region, accountId } = settings;
    this.ctx = {
      region,
      accountId,
      partition: 'aws',
      urlSuffix: 'amazonaws.com',
      stackName: stack.stackName,
      template: stack.template,
      refs: this.refs,
      attributes: this.attributes,
    };
    const clientConfig = { region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    this.sqs = new SQSClient({ ...clientConfig, endpoint: standins.endpoints.sqs });
    this.dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: standins.endpoints.dynamodb });
    this.onStop(() => standins.stop());
    const unsubscribe = standins.eventbridge.onActivity((activity) => this.emit({ kind: 'bus', activity }));
    this.onStop(async () => unsubscribe());
    this.onStop(async () => {
      this.sqs.destroy();
      this.dynamodb.destroy();
    });
  }

  get stackName(): string {
    return this.stack.stackName;
  }

  get template(): CfnTemplate {
    return this.stack.template;
  }

  emit(event: LocalStackEvent): void {
    this.settings.options.onEvent?.(event);
  }

  /** How to pick another port for `service`, for port errors. */
  portHint(service: keyof LocalStackPorts): string {
    return this.settings.options.portHint?.(service) ?? `choose another ${service} port, or 0 for a free one`;
  }

  arn(service: string, resource: string): string {
    return `arn:aws:${service}:${this.settings.region}:${this.settings.accountId}:${resource}`;
  }

  physicalName(logicalId: string, max: number): string {
    return physicalName(this.stackName, logicalId, max);
  }

  /** Records a resource's `Ref` and `GetAtt` values. */
  provide(logicalId: string, ref: string, attributes: Readonly<Record<string, Json>>): void {
    this.refs.set(logicalId, ref);
    this.attributes.set(logicalId, attributes);
  }

  /** A resource's `Properties` with every intrinsic resolved to local values. */
  properties(logicalId: string): JsonObject {
    return resolveObject(this.template.Resources[logicalId]?.Properties, this.ctx, `${logicalId}.Properties`);
  }

  /** A `GetAtt` value already provided, as text. */
  attribute(logicalId: string, name: string): string {
    return String(this.attributes.get(logicalId)?.[name]);
  }

  onStop(stop: Stop): void {
    this.stops.push(stop);
  }

  /** Stops everything started, last first; a failing stop is reported and the others still run. */
  async stopAll(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err: unknown) {
        this.emit({ kind: 'warn', message: `while stopping: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
  }

  /** A started function, by what Lambda accepts: a name, an ARN, or an ARN inside a qualifier or an API Gateway invocation path. */
  functionFor(reference: string, where: string): LocalFunction {
    const all = [...this.functions.values()];
    const byArn = (arn: string) => all.find((f) => f.definition.functionArn === arn);
    const direct = byArn(reference) ?? all.find((f) => f.definition.functionName === reference);
    if (direct) return direct;
    const embedded = /arn:aws:lambda:[^:]+:[^:]+:function:[^/:]+/.exec(reference)?.[0];
    const found = embedded ? byArn(embedded) : undefined;
    if (!found) throw new TemplateError(`${where}: ${reference} is not a function of this stack`);
    return found;
  }
}
