import { Duration, Lazy, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { isWebUrl } from '../../lambda/common/formats';
import { parsePublicKey } from '../../lambda/common/keys';
import { parseScheme } from '../../lambda/common/signature';
import { INGEST_ENV } from '../../lambda/ingest/config';
import { DEFAULT_MAX_BODY_BYTES } from '../../lambda/ingest/ingest';
import { quarantinePerMinuteProblem } from '../../lambda/ingest/quarantine';
import type { TargetEntry } from '../../lambda/ingest/targets/target';
import { pascalCaseId } from '../stack-outputs';
import { checkWholeNumber, Problems, shown, throwIfAny, type Problem } from '../validation';
import type { RejectedRequestQuarantine } from './quarantine';
import { eventTypesProblem, type IIngestTarget, type IngestTargetBinding } from './targets/ingest-target';
import { SqsIngestTarget } from './targets/sqs-target';
import { VoltFunction, type LogLevel } from './volt-function';

/** The path Volt posts to. */
export const WEBHOOK_PATH = '/webhooks';

/**
 * Steady-state requests per second the stage accepts before answering 429: three times a
 * 100,000-message campaign sent over ten minutes (about 340 webhooks/s), at an ingest
 * concurrency of about 50. The model behind it: docs/capacity.md.
 */
export const DEFAULT_THROTTLE_RATE_LIMIT = 1000;
/**
 * Requests the stage accepts at once (the token bucket's size). Each needs its own function
 * instance, so it stays well inside Lambda's 1,000 new instances per 10 s and the account's
 * default 1,000 concurrent executions: docs/capacity.md.
 */
export const DEFAULT_THROTTLE_BURST_LIMIT = 500;
// API Gateway's default account-level quotas per region: a stage cannot usefully go beyond them.
const MAX_THROTTLE_RATE_LIMIT = 10_000;
const MAX_THROTTLE_BURST_LIMIT = 5_000;
/** Largest body accepted: an SQS message (256 KiB) must carry the body plus its attributes. */
const MAX_BODY_BYTES_LIMIT = 200 * 1024;
const MIN_BODY_BYTES = 1024;

/**
 * One JSON object per request. Only what API Gateway knows about the request: never the body
 * or headers, which carry phone numbers, message text and the signature.
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  requestLength: '$context.requestLength',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
});

/** A queue the ingest function sends verified events to: shorthand for `new SqsIngestTarget(...)`. */
export interface IngestTarget {
  /** `state`, or the subscriber's name. */
  readonly name: string;
  /** The queue; the ingest function is granted SendMessage on it. */
  readonly queue: sqs.IQueue;
  /** Only these event types are sent. @default every event type */
  readonly eventTypes?: readonly string[];
  /** Accept `eventTypes` Volt is not known to send. @default false */
  readonly allowUnknownEventTypes?: boolean;
}

export interface WebhookIngestProps {
  /** Where verified events go: targets of any kind (`SqsIngestTarget`), or queues given as `IngestTarget`. */
  readonly targets: readonly (IIngestTarget | IngestTarget)[];
  /** Pinned public keys, as validated configuration text (ssh-rsa lines, PEM blocks or JWK JSON). @default none: the key URL is used */
  readonly publicKeys?: readonly string[];
  /** The key URL, used when no key is pinned. @default Volt's `https://callbacks.respondflow.com/id_rsa.pub` */
  readonly publicKeyUrl?: string;
  /**
   * Accept a plain `http://` key URL. Anyone on the network path could then replace the key and
   * forge webhooks: for a test endpoint only. @default false
   */
  readonly allowHttpKeyUrl?: boolean;
  /** `<padding>-<hash>-<encoding>`. @default 'pkcs1-sha256-base64' */
  readonly signatureScheme?: string;
  /** Largest accepted body, in bytes. @default 65536 */
  readonly maxBodyBytes?: number;
  /** Where a sample of the requests that fail verification is kept; never a target. @default no quarantine */
  readonly quarantine?: RejectedRequestQuarantine;
  /** At most this many rejected requests quarantined per function instance and minute. @default 10 */
  readonly quarantinePerMinute?: number;
  /** Steady-state requests per second on the default stage; more are answered 429 (whether Volt retries them is unknown). @default 1000 */
  readonly throttleRateLimit?: number;
  /** Requests the default stage accepts at once (the token bucket's size). @default 500 */
  readonly throttleBurstLimit?: number;
  /** How long the stage's access logs are kept. @default logs.RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: logs.RetentionDays;
  /** The ingest function's application log level. @default 'INFO' */
  readonly logLevel?: LogLevel;
}

function asTarget(target: IIngestTarget | IngestTarget): IIngestTarget {
  return 'bind' in target ? target : new SqsIngestTarget(target);
}

/**
 * The HTTP edge: an API Gateway HTTP API with `POST /webhooks` and the ingest function that
 * verifies each delivery's RSA signature and enqueues it to every matching target queue.
 */
export class WebhookIngest extends Construct {
  public readonly api: apigwv2.HttpApi;
  public readonly function: VoltFunction;
  /** The full URL to register with Volt. */
  public readonly webhookUrl: string;
  /** The default stage's access logs, one JSON object per request (`ACCESS_LOG_FORMAT`). */
  public readonly accessLogGroup: logs.LogGroup;

  private readonly targets: (IIngestTarget | IngestTarget)[] = [];
  /** Each kind's entries, by the environment variable that lists them. */
  private readonly targetEntries = new Map<string, TargetEntry[]>();
  /** The targets' grants, one statement per set of actions. */
  private readonly targetStatements = new Map<string, iam.PolicyStatement>();

  /** Every problem with these props, without creating anything. */
  static checkProps(props: Partial<WebhookIngestProps>): readonly Problem[] {
    const problems = new Problems('WebhookIngest');
    if (props.targets !== undefined) {
      if (props.targets.length === 0) problems.add('targets', 'must list at least one target');
      const seen = new Map<string, string>();
      for (const [i, target] of props.targets.entries()) {
        const id = pascalCaseId(target.name);
        const earlier = seen.get(id.toLowerCase());
        if (id === '') problems.add(`targets[${i}].name`, `needs letters or digits, got ${shown(target.name)}`);
        else if (earlier !== undefined)
          problems.add(
            `targets[${i}].name`,
            `must be unique (ignoring case, "-" and "_"), got ${shown(target.name)} after ${shown(earlier)}`,
          );
        seen.set(id.toLowerCase(), target.name);
        const eventTypes = eventTypesProblem(target.eventTypes, target.allowUnknownEventTypes);
        if (eventTypes !== undefined) problems.add(`targets[${i}].eventTypes`, eventTypes);
      }
    }
    checkWholeNumber(
      problems,
      'maxBodyBytes',
      props.maxBodyBytes,
      MIN_BODY_BYTES,
      MAX_BODY_BYTES_LIMIT,
      ' (an SQS message carries the body plus its attributes)',
    );
    const rate = props.throttleRateLimit;
    if (rate !== undefined && (!Number.isFinite(rate) || rate <= 0 || rate > MAX_THROTTLE_RATE_LIMIT)) {
      problems.add(
        'throttleRateLimit',
        `must be a number above 0 and at most ${MAX_THROTTLE_RATE_LIMIT} requests per second, got ${shown(rate)}`,
      );
    }
    checkWholeNumber(problems, 'throttleBurstLimit', props.throttleBurstLimit, 1, MAX_THROTTLE_BURST_LIMIT);
    const perMinute = props.quarantinePerMinute;
    const perMinuteProblem = perMinute === undefined ? undefined : quarantinePerMinuteProblem(perMinute);
    if (perMinuteProblem !== undefined) problems.add('quarantinePerMinute', perMinuteProblem);
    if (props.signatureScheme !== undefined)
      problems.attempt('signatureScheme', () => parseScheme(props.signatureScheme ?? ''));
    for (const [i, key] of (props.publicKeys ?? []).entries()) {
      problems.attempt(`publicKeys[${i}]`, () => parsePublicKey(key, `publicKeys[${i}]`));
    }
    const url = props.publicKeyUrl;
    if (url !== undefined && !isWebUrl(url)) {
      problems.add('publicKeyUrl', `must be an http(s) URL, got ${shown(url)}`);
    } else if (url !== undefined && !props.allowHttpKeyUrl && !isWebUrl(url, 'https')) {
      problems.add(
        'publicKeyUrl',
        `must be an https URL: over plain http anyone on the network path could swap the key (allowHttpKeyUrl allows it), got ${shown(url)}`,
      );
    }
    problems.include(VoltFunction.checkProps({ logLevel: props.logLevel }));
    return problems.all;
  }

  constructor(scope: Construct, id: string, props: WebhookIngestProps) {
    super(scope, id);
    throwIfAny(WebhookIngest.checkProps(props));
    const maxBodyBytes = props.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const throttleRateLimit = props.throttleRateLimit ?? DEFAULT_THROTTLE_RATE_LIMIT;
    const throttleBurstLimit = props.throttleBurstLimit ?? DEFAULT_THROTTLE_BURST_LIMIT;

    this.function = new VoltFunction(this, 'Function', {
      functionDir: 'ingest',
      description: 'Verifies Volt webhook signatures and enqueues the events',
      timeout: Duration.seconds(10),
      ...(props.logLevel !== undefined ? { logLevel: props.logLevel } : {}),
      environment: {
        ...(props.signatureScheme ? { [INGEST_ENV.signatureScheme]: props.signatureScheme } : {}),
        ...(props.publicKeys?.length ? { [INGEST_ENV.publicKeys]: JSON.stringify(props.publicKeys) } : {}),
        ...(props.publicKeyUrl && !props.publicKeys?.length ? { [INGEST_ENV.publicKeyUrl]: props.publicKeyUrl } : {}),
        [INGEST_ENV.maxBodyBytes]: String(maxBodyBytes),
      },
    });
    for (const target of props.targets) this.addTarget(target);
    if (props.quarantine) this.bindQuarantine(props.quarantine, props.quarantinePerMinute);

    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Receives Volt SMS webhook deliveries',
      createDefaultStage: true,
    });
    const [route] = this.api.addRoutes({
      path: WEBHOOK_PATH,
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('Ingest', this.function, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    // On the route resource itself, not the route construct, which also holds the invoke permission.
    const routeResource = route?.node.defaultChild;
    if (routeResource) {
      Validations.of(routeResource).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Volt cannot send credentials an API Gateway authorizer could check: every request is authenticated by the ingest function, ' +
          "which verifies Volt's RSA signature over the raw body before anything is enqueued and answers 401 otherwise.",
      });
    }

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // HttpApi creates its default stage without stage options, so they are set on the L1 stage.
    const defaultStage = this.api.defaultStage;
    if (!defaultStage) throw new Error('WebhookIngest: the HTTP API has no default stage to serve the webhook URL');
    const stage = defaultStage.node.defaultChild as apigwv2.CfnStage;
    stage.accessLogSettings = { destinationArn: this.accessLogGroup.logGroupArn, format: ACCESS_LOG_FORMAT };
    stage.defaultRouteSettings = { throttlingRateLimit: throttleRateLimit, throttlingBurstLimit: throttleBurstLimit };
    // apiEndpoint has no trailing slash; the default stage is served at the root.
    this.webhookUrl = `${this.api.apiEndpoint}${WEBHOOK_PATH}`;
  }

  /**
   * Delivers verified events to one more target too: its kind's entry in the function's
   * environment and the grant to deliver to it come together from the target's `bind`.
   */
  addTarget(target: IIngestTarget | IngestTarget): void {
    throwIfAny(WebhookIngest.checkProps({ targets: [...this.targets, target] }));
    this.targets.push(target);
    asTarget(target).bind(this.targetBinding());
  }

  /** What a target binds to: this function's role, and one list per kind in its environment. */
  private targetBinding(): IngestTargetBinding {
    return {
      grantee: this.function,
      allow: (actions, resource) => {
        const key = [...actions].sort().join(' ');
        let statement = this.targetStatements.get(key);
        if (!statement) {
          statement = new iam.PolicyStatement({ actions: [...actions] });
          this.targetStatements.set(key, statement);
          this.function.addToRolePolicy(statement);
        }
        statement.addResources(resource);
      },
      addEntry: (environmentVariable, entry) => {
        const entries = this.targetEntries.get(environmentVariable);
        if (entries) {
          entries.push(entry);
          return;
        }
        const created = [entry];
        this.targetEntries.set(environmentVariable, created);
        // Written at synth, so a target added after construction is listed too.
        this.function.addEnvironment(environmentVariable, Lazy.string({ produce: () => JSON.stringify(created) }));
      },
    };
  }

  /** Pairs the quarantine's URL with a grant to send to it, and nothing else on it. */
  private bindQuarantine(quarantine: RejectedRequestQuarantine, perMinute: number | undefined): void {
    this.function.addEnvironment(INGEST_ENV.quarantineQueueUrl, quarantine.queue.queueUrl);
    if (perMinute !== undefined) this.function.addEnvironment(INGEST_ENV.quarantinePerMinute, String(perMinute));
    quarantine.grantSend(this.function);
  }
}
