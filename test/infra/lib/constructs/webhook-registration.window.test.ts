import { Match, type Template } from 'aws-cdk-lib/assertions';
import { synthStack } from '../../../helpers/synth';

// The registration window's table and what each function may do with it.

const { template } = synthStack({ voltApiTokenSecret: 'volt/api-token' });

type Resource = { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> };

function windowTable(t: Template): [string, Resource] {
  const found = Object.entries(
    t.findResources('AWS::DynamoDB::Table', { Metadata: { 'volt-webhooks:role': 'registrationWindow' } }),
  ) as [string, Resource][];
  expect(found).toHaveLength(1);
  return found[0]!;
}

function functionWith(variable: string): Resource {
  const found = Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { [variable]: Match.anyValue() } } },
    }),
  ) as Resource[];
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** Every DynamoDB action the function's role is allowed, by resource. */
function dynamodbStatements(fn: Resource): { Action: string | string[]; Resource: unknown }[] {
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const statements: { Action: string | string[]; Resource: unknown }[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy')) as Resource[]) {
    const roles = policy.Properties.Roles as { Ref: string }[];
    if (!roles.some((r) => r.Ref === roleId)) continue;
    const document = policy.Properties.PolicyDocument as {
      Statement: { Action: string | string[]; Resource: unknown }[];
    };
    for (const s of document.Statement) {
      const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
      if (actions.some((a) => a.startsWith('dynamodb:'))) statements.push(s);
    }
  }
  return statements;
}

describe('registration window', () => {
  it('is an on-demand, encrypted table with a TTL, keyed on a string id', () => {
    const [, table] = windowTable(template);
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('is absent when the stack does not register', () => {
    const { template: bare } = synthStack({});
    expect(
      Object.keys(
        bare.findResources('AWS::DynamoDB::Table', { Metadata: { 'volt-webhooks:role': 'registrationWindow' } }),
      ),
    ).toEqual([]);
  });

  it('names the table to both functions', () => {
    const [tableId] = windowTable(template);
    const registration = functionWith('VOLT_API_TOKEN_SECRET_ID');
    const ingest = functionWith('TARGET_QUEUES');
    for (const fn of [registration, ingest]) {
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        REGISTRATION_WINDOW_TABLE: { Ref: tableId },
      });
    }
  });

  it('lets the ingest only read the window and record its probe, on that table alone', () => {
    const [tableId] = windowTable(template);
    const statements = dynamodbStatements(functionWith('TARGET_QUEUES'));
    expect(statements).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Resource: [{ 'Fn::GetAtt': [tableId, 'Arn'] }],
      }),
    ]);
  });

  it('lets the registration only open, read and close the window, on that table alone', () => {
    const [tableId] = windowTable(template);
    const statements = dynamodbStatements(functionWith('VOLT_API_TOKEN_SECRET_ID'));
    expect(statements).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'],
        Resource: [{ 'Fn::GetAtt': [tableId, 'Arn'] }],
      }),
    ]);
  });

  it("outputs what the probe's signature was, from the registration resource", () => {
    const [resourceId] = Object.entries(template.findResources('Custom::VoltWebhookRegistration'))[0]!;
    template.hasOutput('VoltProbeSignature', { Value: { 'Fn::GetAtt': [resourceId, 'ProbeSignature'] } });
  });
});
