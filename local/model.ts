import { ARCHIVE_BUCKET_ROLE, MESSAGES_TABLE_ROLE } from '../lib/template-contract';
import type { BatchOutcome } from './event-source';
import type { EventBridgeActivity, LocalEventBridge } from './eventbridge';
import type { StreamBatchOutcome } from './stream-event-source';
import type { StandinEndpoints, StandinService } from './endpoints';
import type { HttpRequestLog } from './http-api';
import type { FunctionLogLine, LocalFunction } from './lambda-runtime';
import type { StandinFaults } from './standins';
import type { Json } from './template';

/**
 * The local stack's public shapes: what `startLocalStack` takes and what it hands back.
 * Everything the synthesized template declares that the product runs on, brought up on this
 * machine from the template itself, on AWS stand-ins.
 */

/** The HTTP API's port and each stand-in's. @default 0 (a free port) for each */
export type LocalStackPorts = { readonly http?: number } & { readonly [S in StandinService]?: number };

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
  | ({ readonly kind: 'stream' } & StreamBatchOutcome)
  | { readonly kind: 'bus'; readonly activity: EventBridgeActivity }
  | { readonly kind: 'info' | 'warn' | 'error'; readonly message: string };

export interface LocalQueue {
  readonly logicalId: string;
  /**
   * Short name: the queue's role in the template metadata (`state`, `stateDlq`, a subscriber's
   * name or `<name>Dlq`, `quarantine`: see `lib/template-contract.ts`), else one derived from
   * its construct path.
   */
  readonly key: string;
  /** The role the template marks it with, when it does. */
  readonly role?: string;
  readonly path?: string;
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly visibilityTimeout: number;
  readonly redrive?: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number };
}

export interface LocalTable {
  readonly logicalId: string;
  /** The role the template marks it with (`messages`), when it does. */
  readonly role?: string;
  readonly path?: string;
  readonly name: string;
  readonly arn: string;
  /** The TTL attribute the template declares; dynalite does not expire items. */
  readonly timeToLiveAttribute?: string;
}

export interface LocalBucket {
  readonly logicalId: string;
  /** The role the template marks it with (`archiveBucket`), when it does. */
  readonly role?: string;
  readonly path?: string;
  readonly name: string;
  readonly arn: string;
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
  /** Endpoint URL of each AWS stand-in, by service. */
  readonly endpoints: StandinEndpoints;
  readonly sqsEndpoint: string;
  readonly dynamodbEndpoint: string;
  readonly secretsManagerEndpoint: string;
  /** Base URL of each HTTP API by logical id (its `ApiEndpoint`). */
  readonly apiEndpoints: Readonly<Record<string, string>>;
  /** The `WebhookUrl` output, when the template has one. */
  readonly webhookUrl?: string;
  readonly queues: readonly LocalQueue[];
  readonly tables: readonly LocalTable[];
  /** The buckets, in the S3 stand-in. */
  readonly buckets: readonly LocalBucket[];
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
  /** The EventBridge stand-in: its buses and rules, and `onActivity` to hear of every event put. */
  readonly eventbridge: LocalEventBridge;
  /** Stops everything; state in memory is gone. */
  stop(): Promise<void>;
}

/** The messages table: the one the template marks with its role, else the first table. */
export function messagesTable(stack: Pick<LocalStack, 'tables'>): LocalTable | undefined {
  return stack.tables.find((t) => t.role === MESSAGES_TABLE_ROLE) ?? stack.tables[0];
}

/** The delivery archive's bucket: the one the template marks with its role. */
export function archiveBucket(stack: Pick<LocalStack, 'buckets'>): LocalBucket | undefined {
  return stack.buckets.find((b) => b.role === ARCHIVE_BUCKET_ROLE);
}
