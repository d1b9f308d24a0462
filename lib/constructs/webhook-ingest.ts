import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { INGEST_ENV } from '../../lambda/ingest/config';
import { DEFAULT_MAX_BODY_BYTES } from '../../lambda/ingest/ingest';
import type { RejectedRequestQuarantine } from './quarantine';
import { VoltFunction } from './volt-function';

/** The path Volt posts to. */
export const WEBHOOK_PATH = '/webhooks';

/** Steady-state requests per second the stage accepts before answering 429. */
export const DEFAULT_THROTTLE_RATE_LIMIT = 100;
/** Requests the stage accepts at once above the steady rate. */
export const DEFAULT_THROTTLE_BURST_LIMIT = 200;
// API Gateway's default account-level quotas per region: a stage cannot usefully go beyond them.
const MAX_THROTTLE_RATE_LIMIT = 10_000;
const MAX_THROTTLE_BURST_LIMIT = 5_000;

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

/** A queue the ingest function sends verified events to. */
export interface IngestTarget {
  /** `state`, or the subscriber's name. */
  readonly name: string;
  /** The queue; the ingest function is granted SendMessage on it. */
  readonly queue: sqs.IQueue;
  /** Only these event types are sent. @default every event type */
  readonly eventTypes?: readonly string[];
}

export interface WebhookIngestProps {
  /** Where verified events go. */
  readonly targets: readonly IngestTarget[];
  /** Pinned public keys, as validated configuration text (ssh-rsa lines, PEM blocks or JWK JSON). @default none: the key URL is used */
  readonly publicKeys?: readonly string[];
  /** The key URL, used when no key is pinned. @default Volt's `https://callbacks.respondflow.com/id_rsa.pub` */
  readonly publicKeyUrl?: string;
  /** `<padding>-<hash>-<encoding>`. @default 'pkcs1-sha256-base64' */
  readonly signatureScheme?: string;
  /** Largest accepted body, in bytes. @default 65536 */
  readonly maxBodyBytes?: number;
  /** Where a sample of the requests that fail verification is kept; never a target. @default no quarantine */
  readonly quarantine?: RejectedRequestQuarantine;
  /** At most this many rejected requests quarantined per function instance and minute. @default 10 */
  readonly quarantinePerMinute?: number;
  /** Steady-state requests per second on the default stage; more are answered 429 (Volt retries). @default 100 */
  readonly throttleRateLimit?: number;
  /** Requests accepted at once above the steady rate. @default 200 */
  readonly throttleBurstLimit?: number;
  /** How long the stage's access logs are kept. @default logs.RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: logs.RetentionDays;
}

function validateThrottle(rate: number, burst: number): void {
  if (!Number.isFinite(rate) || rate <= 0 || rate > MAX_THROTTLE_RATE_LIMIT) {
    throw new Error(
      `WebhookIngest: throttleRateLimit must be a number above 0 and at most ${MAX_THROTTLE_RATE_LIMIT} requests per second, got ${rate}`,
    );
  }
  if (!Number.isInteger(burst) || burst < 1 || burst > MAX_THROTTLE_BURST_LIMIT) {
    throw new Error(
      `WebhookIngest: throttleBurstLimit must be a whole number from 1 to ${MAX_THROTTLE_BURST_LIMIT}, got ${burst}`,
    );
  }
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

  constructor(scope: Construct, id: string, props: WebhookIngestProps) {
    super(scope, id);
    if (props.targets.length === 0) throw new Error('WebhookIngest: at least one target queue is required');
    const maxBodyBytes = props.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024 || maxBodyBytes > 200 * 1024) {
      throw new Error(
        `WebhookIngest: maxBodyBytes must be an integer from 1024 to ${200 * 1024} (SQS messages carry the body plus attributes), got ${maxBodyBytes}`,
      );
    }
    const throttleRateLimit = props.throttleRateLimit ?? DEFAULT_THROTTLE_RATE_LIMIT;
    const throttleBurstLimit = props.throttleBurstLimit ?? DEFAULT_THROTTLE_BURST_LIMIT;
    validateThrottle(throttleRateLimit, throttleBurstLimit);

    this.function = new VoltFunction(this, 'Function', {
      functionDir: 'ingest',
      description: 'Verifies Volt webhook signatures and enqueues the events',
      timeout: Duration.seconds(10),
      environment: {
        ...(props.signatureScheme ? { [INGEST_ENV.signatureScheme]: props.signatureScheme } : {}),
        ...(props.publicKeys?.length ? { [INGEST_ENV.publicKeys]: JSON.stringify(props.publicKeys) } : {}),
        ...(props.publicKeyUrl && !props.publicKeys?.length ? { [INGEST_ENV.publicKeyUrl]: props.publicKeyUrl } : {}),
        [INGEST_ENV.maxBodyBytes]: String(maxBodyBytes),
      },
    });
    this.bindTargets(props.targets);
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

  /** Pairs the quarantine's URL with a grant to send to it, and nothing else on it. */
  private bindQuarantine(quarantine: RejectedRequestQuarantine, perMinute: number | undefined): void {
    if (perMinute !== undefined && (!Number.isInteger(perMinute) || perMinute < 0 || perMinute > 10_000)) {
      throw new Error(`WebhookIngest: quarantinePerMinute must be an integer from 0 to 10000, got ${perMinute}`);
    }
    this.function.addEnvironment(INGEST_ENV.quarantineQueueUrl, quarantine.queue.queueUrl);
    if (perMinute !== undefined) this.function.addEnvironment(INGEST_ENV.quarantinePerMinute, String(perMinute));
    quarantine.grantSend(this.function);
  }

  /** Pairs the target list in the environment with a grant of exactly sqs:SendMessage on those queues. */
  private bindTargets(targets: readonly IngestTarget[]): void {
    this.function.addEnvironment(
      INGEST_ENV.targetQueues,
      JSON.stringify(
        targets.map((t) => ({
          name: t.name,
          queueUrl: t.queue.queueUrl,
          ...(t.eventTypes ? { eventTypes: t.eventTypes } : {}),
        })),
      ),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: targets.map((t) => t.queue.queueArn) }),
    );
  }
}
