import {
  Arn,
  ArnFormat,
  CustomResource,
  Duration,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
  type CfnElement,
} from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IDependable } from 'constructs';
import { REGISTRATION_ENV, REGISTRATION_PROPS } from '../../lambda/registration/config';
import { DEFAULT_VOLT_API_URL } from '../../lambda/registration/volt-api';
import { PROBE_SIGNATURE_ATTRIBUTE } from '../../lambda/registration/registration';
import {
  REGISTRATION_WINDOW_ENV,
  WINDOW_EXPIRES_AT_ATTRIBUTE,
  WINDOW_KEY_ATTRIBUTE,
} from '../../lambda/common/registration-window';
import { markRole, REGISTRATION_RESOURCE_TYPE, REGISTRATION_WINDOW_TABLE_ROLE } from '../template-contract';
import { E164_EXAMPLE, isE164, isWebUrl } from '../../lambda/common/formats';
import { Problems, shown, type Problem } from '../validation';
import { VoltFunction, type LogLevel } from './volt-function';

export { REGISTRATION_RESOURCE_TYPE };

export interface WebhookRegistrationProps {
  /** The HTTP API serving the webhook URL. Registration waits for its default stage, because Volt probes the URL while registering. */
  readonly api: apigwv2.IHttpApi & { readonly defaultStage?: apigwv2.IHttpStage };
  /** The full URL to register, e.g. `WebhookIngest.webhookUrl`. */
  readonly webhookUrl: string;
  /**
   * The Secrets Manager secret holding Volt's API token: a name (`volt/api-token`), a complete
   * ARN (with the 6-character suffix), a partial ARN, or an `ISecret` (e.g. one encrypted with
   * your own KMS key, which the grant then covers). The secret holds the bare token or
   * `{"token":"..."}`; the token is read at run time and never enters the template.
   */
  readonly apiTokenSecret: string | secretsmanager.ISecret;
  /** Volt's GraphQL endpoint. @default 'https://api.respondflow.com/graphql' */
  readonly apiUrl?: string;
  /** `primaryPhone` to register with (an option seen only in Volt's client code). @default not sent */
  readonly primaryPhone?: string;
  /** `eventTypes` to register with (values unpublished by Volt). @default not sent: every event type */
  readonly eventTypes?: readonly string[];
  /** Other things to exist before registering, e.g. the route and its integration. @default only the API's default stage */
  readonly dependsOn?: readonly IDependable[];
  /** Time budget of one registration call, retries included. @default Duration.minutes(3) */
  readonly timeout?: Duration;
  /** How long the registration function's logs are kept. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** The registration function's application log level. @default 'INFO' */
  readonly logLevel?: LogLevel;
  /**
   * The function serving the webhook URL. With it, registration opens a registration window of
   * at most 3 minutes around `registerWebhook`, in which this function answers Volt's test
   * request 2xx even when its signature does not verify, delivers it nowhere, and reports what
   * its signature was (`probeSignature`); it gets read and conditional-update access to the
   * window's table, and the table's name in its environment.
   * @default no window: Volt's test request must verify, or registration fails
   */
  readonly ingestFunction?: lambda.Function;
}

// A complete secret ARN ends with "-" and the 6 random characters Secrets Manager appends to the name.
const COMPLETE_ARN_SUFFIX = /-[A-Za-z0-9]{6}$/;

/** Imports the token secret from what was configured, so the grant names exactly that secret. */
function importSecret(scope: Construct, secret: string | secretsmanager.ISecret): secretsmanager.ISecret {
  if (typeof secret !== 'string') return secret;
  const value = secret.trim();
  if (Token.isUnresolved(value)) return secretsmanager.Secret.fromSecretCompleteArn(scope, 'TokenSecret', value);
  if (!value.startsWith('arn:')) return secretsmanager.Secret.fromSecretNameV2(scope, 'TokenSecret', value);
  const name = Arn.split(value, ArnFormat.COLON_RESOURCE_NAME).resourceName ?? '';
  return COMPLETE_ARN_SUFFIX.test(name)
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, 'TokenSecret', value)
    : secretsmanager.Secret.fromSecretPartialArn(scope, 'TokenSecret', value);
}

/**
 * Registers the webhook URL with Volt on deploy (`Custom::VoltWebhookRegistration`): a
 * custom-resources Provider whose onEvent function adopts or registers on create, registers
 * the new URL before deleting the old on update, and deletes on stack delete. Its physical id,
 * and `webhookId`, is Volt's webhook id.
 */
export class WebhookRegistration extends Construct {
  public readonly function: VoltFunction;
  public readonly provider: cr.Provider;
  public readonly resource: CustomResource;
  /** The secret the function may read, and nothing else. */
  public readonly tokenSecret: secretsmanager.ISecret;
  /** Volt's id of the registration. */
  public readonly webhookId: string;
  /** What the signature of Volt's test request was, as one line (e.g. `unsigned (no signature header)`). */
  public readonly probeSignature: string;
  /** The registration window's one-item table; present with `ingestFunction`. */
  public readonly windowTable?: dynamodb.Table;

  /** Every problem with these props that needs no API to tell, without creating anything. */
  static checkProps(props: Partial<WebhookRegistrationProps>): readonly Problem[] {
    const problems = new Problems('WebhookRegistration');
    if (props.webhookUrl !== undefined && !Token.isUnresolved(props.webhookUrl) && !isWebUrl(props.webhookUrl)) {
      problems.add('webhookUrl', `must be an http(s) URL, got ${shown(props.webhookUrl)}`);
    }
    if (typeof props.apiTokenSecret === 'string' && props.apiTokenSecret.trim() === '') {
      problems.add(
        'apiTokenSecret',
        'is empty; give the name or ARN of the Secrets Manager secret holding the Volt API token, or leave it out',
      );
    }
    if (props.apiUrl !== undefined && !isWebUrl(props.apiUrl)) {
      problems.add('apiUrl', `must be an http(s) URL, got ${shown(props.apiUrl)}`);
    }
    if (props.primaryPhone !== undefined && !isE164(props.primaryPhone)) {
      problems.add('primaryPhone', `must be an E.164 number like ${E164_EXAMPLE}, got ${shown(props.primaryPhone)}`);
    }
    if (
      props.eventTypes !== undefined &&
      (props.eventTypes.length === 0 || props.eventTypes.some((t) => t.trim() === ''))
    ) {
      problems.add(
        'eventTypes',
        `must be a non-empty list of names, or left out for every event type, got ${shown(props.eventTypes)}`,
      );
    }
    const seconds = props.timeout?.toSeconds();
    if (seconds !== undefined && (seconds < 60 || seconds > 900)) {
      problems.add('timeout', `must be 1 to 15 minutes, got ${seconds} s`);
    }
    problems.include(VoltFunction.checkProps({ logLevel: props.logLevel }));
    return problems.all;
  }

  constructor(scope: Construct, id: string, props: WebhookRegistrationProps) {
    super(scope, id);
    const problems = new Problems('WebhookRegistration');
    problems.include(WebhookRegistration.checkProps(props));
    const stage = props.api.defaultStage;
    if (!stage) {
      problems.add('api', 'has no default stage; Volt must be able to reach the URL while registering');
    }
    problems.throwIfAny();
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.tokenSecret = importSecret(this, props.apiTokenSecret);
    // GetSecretValue takes a name or an ARN: a configured name is passed as it is, since an imported name's ARN lacks the suffix.
    const secretId =
      typeof props.apiTokenSecret === 'string' ? props.apiTokenSecret.trim() : this.tokenSecret.secretArn;
    this.function = new VoltFunction(this, 'Function', {
      functionDir: 'registration',
      description: 'Registers the webhook URL with Volt (custom resource onEvent)',
      timeout: props.timeout ?? Duration.minutes(3),
      logRetention: retention,
      // Runs once per deploy, where a readable stack trace is worth more than a few milliseconds.
      sourceMapsAtRuntime: true,
      ...(props.logLevel !== undefined ? { logLevel: props.logLevel } : {}),
      // The secret's id only; the token itself is read at run time.
      environment: { [REGISTRATION_ENV.tokenSecretId]: secretId },
    });
    this.tokenSecret.grantRead(this.function);
    if (props.ingestFunction) this.windowTable = this.openWindowFor(props.ingestFunction);

    const providerLogGroup = new logs.LogGroup(this, 'ProviderLogGroup', {
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // The framework function's own role, so it gets its log group only instead of the
    // AWSLambdaBasicExecutionRole managed policy the Provider would attach.
    const frameworkRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Custom resource provider framework for the Volt webhook registration',
      inlinePolicies: {
        OwnLogGroup: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [providerLogGroup.logGroupArn],
            }),
          ],
        }),
      },
    });
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.function,
      logGroup: providerLogGroup,
      frameworkOnEventRole: frameworkRole,
    });
    const handlerId = Stack.of(this).getLogicalId(this.function.node.defaultChild as CfnElement);
    Validations.of(frameworkRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${handlerId}.Arn>:*]`,
      reason:
        'The provider framework may invoke only the registration function; the ":*" suffix covers that one function\'s versions and aliases, as the framework grants it.',
    });

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.provider.serviceToken,
      resourceType: REGISTRATION_RESOURCE_TYPE,
      // A hung call then fails the deploy in minutes instead of CloudFormation's default hour.
      serviceTimeout: Duration.minutes(20),
      properties: {
        [REGISTRATION_PROPS.webhookUrl]: props.webhookUrl,
        [REGISTRATION_PROPS.apiUrl]: props.apiUrl ?? DEFAULT_VOLT_API_URL,
        ...(props.primaryPhone !== undefined ? { [REGISTRATION_PROPS.primaryPhone]: props.primaryPhone } : {}),
        ...(props.eventTypes !== undefined ? { [REGISTRATION_PROPS.eventTypes]: [...props.eventTypes] } : {}),
      },
    });
    // Volt sends a test request to the URL while registering: the stage must be live first.
    this.resource.node.addDependency(stage!); // present: checked with the props
    for (const dependency of props.dependsOn ?? []) this.resource.node.addDependency(dependency);
    this.webhookId = this.resource.ref;
    this.probeSignature = this.resource.getAttString(PROBE_SIGNATURE_ATTRIBUTE);
  }

  /** The window's table, and each function's part of it: the registration opens and closes, the ingest reads and reports. */
  private openWindowFor(ingest: lambda.Function): dynamodb.Table {
    const table = new dynamodb.Table(this, 'WindowTable', {
      partitionKey: { name: WINDOW_KEY_ATTRIBUTE, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Holds one short-lived item; PITR costs nothing at this size and keeps the table like the others.
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // A registration that died before closing its window leaves an item TTL removes.
      timeToLiveAttribute: WINDOW_EXPIRES_AT_ATTRIBUTE,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    markRole(table, REGISTRATION_WINDOW_TABLE_ROLE);
    table.grant(this.function, 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem');
    table.grant(ingest, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    this.function.addEnvironment(REGISTRATION_WINDOW_ENV, table.tableName);
    ingest.addEnvironment(REGISTRATION_WINDOW_ENV, table.tableName);
    return table;
  }
}
