import { Duration } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { INGEST_ENV } from '../../lambda/ingest/config';
import { DEFAULT_MAX_BODY_BYTES } from '../../lambda/ingest/ingest';
import { VoltFunction } from './volt-function';

/** The path Volt posts to. */
export const WEBHOOK_PATH = '/webhooks';

/** A queue the ingest function sends verified events to. */
export interface IngestTarget {
  /** `state`, or the subscriber's name. */
  readonly name: string;
  readonly queue: sqs.IQueue;
  /** Only these event types are sent; all when absent. */
  readonly eventTypes?: readonly string[];
}

export interface WebhookIngestProps {
  /** Where verified events go. */
  readonly targets: readonly IngestTarget[];
  /** Pinned public keys, as validated configuration text (ssh-rsa lines, PEM blocks or JWK JSON). When absent the key URL is used. */
  readonly publicKeys?: readonly string[];
  /** The key URL, used when no key is pinned. @default Volt's `https://callbacks.respondflow.com/id_rsa.pub` */
  readonly publicKeyUrl?: string;
  /** `<padding>-<hash>-<encoding>`. @default 'pkcs1-sha256-base64' */
  readonly signatureScheme?: string;
  /** Largest accepted body, in bytes. @default 65536 */
  readonly maxBodyBytes?: number;
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

  constructor(scope: Construct, id: string, props: WebhookIngestProps) {
    super(scope, id);
    if (props.targets.length === 0) throw new Error('WebhookIngest: at least one target queue is required');
    const maxBodyBytes = props.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024 || maxBodyBytes > 200 * 1024) {
      throw new Error(`WebhookIngest: maxBodyBytes must be an integer from 1024 to ${200 * 1024} (SQS messages carry the body plus attributes), got ${maxBodyBytes}`);
    }

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

    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Receives Volt SMS webhook deliveries',
      createDefaultStage: true,
    });
    this.api.addRoutes({
      path: WEBHOOK_PATH,
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('Ingest', this.function, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    // apiEndpoint has no trailing slash; the default stage is served at the root.
    this.webhookUrl = `${this.api.apiEndpoint}${WEBHOOK_PATH}`;
  }

  /** Pairs the target list in the environment with a grant of exactly sqs:SendMessage on those queues. */
  private bindTargets(targets: readonly IngestTarget[]): void {
    this.function.addEnvironment(
      INGEST_ENV.targetQueues,
      JSON.stringify(targets.map((t) => ({ name: t.name, queueUrl: t.queue.queueUrl, ...(t.eventTypes ? { eventTypes: t.eventTypes } : {}) }))),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: targets.map((t) => t.queue.queueArn) }),
    );
  }
}
