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
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IDependable } from 'constructs';
import { REGISTRATION_ENV, REGISTRATION_PROPS } from '../../lambda/registration/config';
import { DEFAULT_VOLT_API_URL } from '../../lambda/registration/volt-api';
import { VoltFunction } from './volt-function';

/** The CloudFormation type of the registration resource (a contract: see DESIGN.md). */
export const REGISTRATION_RESOURCE_TYPE = 'Custom::VoltWebhookRegistration';

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
}

const E164 = /^\+[1-9]\d{6,14}$/;
// A complete secret ARN ends with "-" and the 6 random characters Secrets Manager appends to the name.
const COMPLETE_ARN_SUFFIX = /-[A-Za-z0-9]{6}$/;

function validate(props: WebhookRegistrationProps): apigwv2.IHttpStage {
  const stage = props.api.defaultStage;
  if (!stage) {
    throw new Error(
      'WebhookRegistration: the HTTP API has no default stage; Volt must be able to reach the URL while registering',
    );
  }
  if (!Token.isUnresolved(props.webhookUrl) && !/^https?:\/\//.test(props.webhookUrl)) {
    throw new Error(`WebhookRegistration: webhookUrl must be an http(s) URL, got "${props.webhookUrl}"`);
  }
  if (typeof props.apiTokenSecret === 'string' && props.apiTokenSecret.trim() === '') {
    throw new Error(
      'WebhookRegistration: apiTokenSecret is empty; give the name or ARN of the secret holding the Volt API token',
    );
  }
  if (props.apiUrl !== undefined && !/^https?:\/\//.test(props.apiUrl)) {
    throw new Error(`WebhookRegistration: apiUrl must be an http(s) URL, got "${props.apiUrl}"`);
  }
  if (props.primaryPhone !== undefined && !E164.test(props.primaryPhone)) {
    throw new Error(
      `WebhookRegistration: primaryPhone must be an E.164 number like +15555550123, got "${props.primaryPhone}"`,
    );
  }
  if (
    props.eventTypes !== undefined &&
    (props.eventTypes.length === 0 || props.eventTypes.some((t) => t.trim() === ''))
  ) {
    throw new Error(
      'WebhookRegistration: eventTypes must be a non-empty list of names, or left out for every event type',
    );
  }
  const seconds = props.timeout?.toSeconds() ?? 180;
  if (seconds < 60 || seconds > 900)
    throw new Error(`WebhookRegistration: timeout must be 1 to 15 minutes, got ${seconds} s`);
  return stage;
}

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

  constructor(scope: Construct, id: string, props: WebhookRegistrationProps) {
    super(scope, id);
    const stage = validate(props);
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
      // The secret's id only; the token itself is read at run time.
      environment: { [REGISTRATION_ENV.tokenSecretId]: secretId },
    });
    this.tokenSecret.grantRead(this.function);

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
    this.resource.node.addDependency(stage);
    for (const dependency of props.dependsOn ?? []) this.resource.node.addDependency(dependency);
    this.webhookId = this.resource.ref;
  }
}
