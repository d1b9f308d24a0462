import { App, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { REGISTRATION_RESOURCE_TYPE, WebhookRegistration } from '../../../../lib/constructs/webhook-registration';
import { synthStack } from '../../../helpers/synth';

const SECRET_NAME = 'volt/api-token';
const { template, stack } = synthStack({ voltApiTokenSecret: SECRET_NAME });

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

function onlyResource(type: string, props?: Record<string, unknown>): [string, Resource] {
  const found = Object.entries(template.findResources(type, props ? { Properties: props } : undefined)) as [
    string,
    Resource,
  ][];
  expect(found).toHaveLength(1);
  return found[0]!;
}

function onEventFunction(): [string, Resource] {
  return onlyResource('AWS::Lambda::Function', {
    Environment: { Variables: { VOLT_API_TOKEN_SECRET_ID: Match.anyValue() } },
  });
}

/** Every IAM statement in the template that names a Secrets Manager action. */
function secretStatements(t: Template): { Action: string | string[]; Resource: unknown; Effect: string }[] {
  const statements: { Action: string | string[]; Resource: unknown; Effect: string }[] = [];
  for (const policy of Object.values(t.findResources('AWS::IAM::Policy')) as Resource[]) {
    const document = policy.Properties.PolicyDocument as {
      Statement: { Action: string | string[]; Resource: unknown; Effect: string }[];
    };
    for (const s of document.Statement) {
      const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
      if (actions.some((a) => a.startsWith('secretsmanager:') || a === '*')) statements.push(s);
    }
  }
  return statements;
}

describe('registration resource', () => {
  it(`exists once, with type ${REGISTRATION_RESOURCE_TYPE}, the webhook URL and the default API URL`, () => {
    const [, resource] = onlyResource(REGISTRATION_RESOURCE_TYPE);
    expect(resource.Properties.ApiUrl).toBe('https://api.respondflow.com/graphql');
    expect(JSON.stringify(resource.Properties.WebhookUrl)).toContain('/webhooks');
    expect(resource.Properties.ServiceToken).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/ProviderframeworkonEvent/), 'Arn'],
    });
  });

  it("depends on the HTTP API's default stage and the route, so Volt's test request can reach the function", () => {
    const [stageId] = onlyResource('AWS::ApiGatewayV2::Stage');
    const [routeId] = onlyResource('AWS::ApiGatewayV2::Route');
    const [, resource] = onlyResource(REGISTRATION_RESOURCE_TYPE);
    expect(resource.DependsOn).toEqual(expect.arrayContaining([stageId, routeId]));
  });

  it('uses the configured API URL', () => {
    const { template: custom } = synthStack({
      voltApiTokenSecret: SECRET_NAME,
      voltApiUrl: 'http://127.0.0.1:4010/graphql',
    });
    custom.hasResourceProperties(REGISTRATION_RESOURCE_TYPE, { ApiUrl: 'http://127.0.0.1:4010/graphql' });
  });

  it('outputs the registered webhook id', () => {
    const [resourceId] = onlyResource(REGISTRATION_RESOURCE_TYPE);
    template.hasOutput('VoltWebhookId', { Value: { Ref: resourceId } });
  });
});

describe('provider', () => {
  it("runs the framework's onEvent, which calls the registration function", () => {
    const [fnId] = onEventFunction();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'framework.onEvent',
      Environment: { Variables: { USER_ON_EVENT_FUNCTION_ARN: { 'Fn::GetAtt': [fnId, 'Arn'] } } },
    });
  });

  it("keeps the provider framework function's logs for a month", () => {
    const [, framework] = onlyResource('AWS::Lambda::Function', { Handler: 'framework.onEvent' });
    const logGroupRef = (framework.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    const logGroup = template.toJSON().Resources[logGroupRef] as Resource;
    expect(logGroup.Properties.RetentionInDays).toBe(30);
  });

  it('runs the registration function from its bundle on Node.js 24, arm64, with a budget for retries', () => {
    const [, fn] = onEventFunction();
    expect(fn.Properties.Handler).toBe('index.handler');
    expect(fn.Properties.Runtime).toBe('nodejs24.x');
    expect(fn.Properties.Architectures).toEqual(['arm64']);
    expect(fn.Properties.Timeout).toBe(180);
  });
});

describe('token secret', () => {
  it("gives the function the secret's name, never its value", () => {
    const [, fn] = onEventFunction();
    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toEqual({
      VOLT_API_TOKEN_SECRET_ID: SECRET_NAME,
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_METRICS_NAMESPACE: 'VoltWebhooks/VoltSmsWebhooks',
      REGISTRATION_WINDOW_TABLE: { Ref: expect.stringMatching(/RegistrationWindowTable/) },
    });
  });

  it('lets the function read that one secret and no other', () => {
    const [, fn] = onEventFunction();
    const roleRef = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleRef }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':secretsmanager:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  `:secret:${SECRET_NAME}-??????`,
                ],
              ],
            },
          }),
        ]),
      },
    });
    const statements = secretStatements(template);
    expect(statements).toHaveLength(1);
    expect(JSON.stringify(statements[0]?.Resource)).toContain(`:secret:${SECRET_NAME}-??????`);
  });

  it('grants exactly a complete ARN when one is configured', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:volt/api-token-AbC123';
    const { template: t } = synthStack({ voltApiTokenSecret: arn });
    const statements = secretStatements(t);
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Resource).toBe(arn);
  });

  it('grants the suffixed form of a partial ARN', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:volt/token';
    const { template: t } = synthStack({ voltApiTokenSecret: arn });
    expect(secretStatements(t)[0]?.Resource).toBe(`${arn}-??????`);
  });

  it('puts no token, secret value or dynamic reference in the template', () => {
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toMatch(/resolve:secretsmanager/i);
    expect(json).not.toMatch(/SecretString/);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const [, resource] = onlyResource(REGISTRATION_RESOURCE_TYPE);
    expect(Object.keys(resource.Properties).sort()).toEqual(['ApiUrl', 'ServiceTimeout', 'ServiceToken', 'WebhookUrl']);
  });
});

describe('without voltApiTokenSecret', () => {
  const bare = synthStack({});

  it('synthesizes without the registration, its functions or its output', () => {
    bare.template.resourceCountIs(REGISTRATION_RESOURCE_TYPE, 0);
    expect(
      Object.keys(
        bare.template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'framework.onEvent' } }),
      ),
    ).toHaveLength(0);
    expect(Object.keys(bare.template.findOutputs('VoltWebhookId'))).toHaveLength(0);
  });

  it('says why in a synth warning', () => {
    Annotations.fromStack(bare.stack).hasWarning(
      '*',
      Match.stringLikeRegexp('No voltApiTokenSecret configured: the webhook URL is NOT registered'),
    );
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('voltApiTokenSecret'))).toHaveLength(0);
  });
});

describe('validation', () => {
  it('rejects a voltApiUrl that is not http(s)', () => {
    expect(() => synthStack({ voltApiTokenSecret: SECRET_NAME, voltApiUrl: 'ftp://volt' })).toThrow(/voltApiUrl/);
  });

  it('rejects a primaryPhone that is not E.164 and an API without a default stage', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const s = new Stack(app, 'S');
    const api = new apigwv2.HttpApi(s, 'Api');
    expect(
      () =>
        new WebhookRegistration(s, 'R1', {
          api,
          webhookUrl: 'https://x.example/webhooks',
          apiTokenSecret: SECRET_NAME,
          primaryPhone: '555',
        }),
    ).toThrow(/E\.164/);
    const noStage = new apigwv2.HttpApi(s, 'NoStage', { createDefaultStage: false });
    expect(
      () =>
        new WebhookRegistration(s, 'R2', {
          api: noStage,
          webhookUrl: 'https://x.example/webhooks',
          apiTokenSecret: SECRET_NAME,
        }),
    ).toThrow(/no default stage/);
  });
});
