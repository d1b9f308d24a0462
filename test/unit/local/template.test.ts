import { failedIdsFrom, toSqsRecord } from '../../../local/event-source';
import { isTextContentType } from '../../../local/http-api';
import { resolveValue, TemplateError, type CfnTemplate, type Json, type ResolveContext } from '../../../local/template';

const template: CfnTemplate = {
  Resources: {
    Queue: { Type: 'AWS::SQS::Queue' },
    Fn: { Type: 'AWS::Lambda::Function' },
    Pending: { Type: 'Custom::Thing' },
  },
  Parameters: {
    BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/hnb659fds/version' },
  },
  Mappings: { Runtimes: { 'us-east-1': { node: 'nodejs22.x' } } },
};

const ctx: ResolveContext = {
  region: 'eu-west-1',
  accountId: '000000000000',
  partition: 'aws',
  urlSuffix: 'amazonaws.com',
  stackName: 'Local',
  template: {
    ...template,
    ...({ Conditions: { IsEu: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] } } } as object),
  },
  refs: new Map([
    ['Queue', 'http://127.0.0.1:9324/000000000000/Local-Queue'],
    ['Fn', 'Local-Fn'],
  ]),
  attributes: new Map<string, Record<string, Json>>([
    ['Queue', { Arn: 'arn:aws:sqs:eu-west-1:000000000000:Local-Queue', QueueName: 'Local-Queue' }],
    ['Fn', { Arn: 'arn:aws:lambda:eu-west-1:000000000000:function:Local-Fn' }],
  ]),
};

const resolve = (value: Json) => resolveValue(value, ctx, 'test');

describe('template intrinsics resolve to local values', () => {
  test('Ref to a resource gives its local physical id', () => {
    expect(resolve({ Ref: 'Queue' })).toBe('http://127.0.0.1:9324/000000000000/Local-Queue');
  });

  test('pseudo parameters resolve to the local region, account, partition and suffix', () => {
    expect(
      resolve([
        { Ref: 'AWS::Region' },
        { Ref: 'AWS::AccountId' },
        { Ref: 'AWS::Partition' },
        { Ref: 'AWS::URLSuffix' },
        { Ref: 'AWS::StackName' },
      ]),
    ).toEqual(['eu-west-1', '000000000000', 'aws', 'amazonaws.com', 'Local']);
  });

  test('Ref to a parameter gives its default', () => {
    expect(resolve({ Ref: 'BootstrapVersion' })).toBe('/cdk-bootstrap/hnb659fds/version');
  });

  test('Fn::GetAtt takes the list and the dotted string forms', () => {
    expect(resolve({ 'Fn::GetAtt': ['Queue', 'Arn'] })).toBe('arn:aws:sqs:eu-west-1:000000000000:Local-Queue');
    expect(resolve({ 'Fn::GetAtt': 'Fn.Arn' })).toBe('arn:aws:lambda:eu-west-1:000000000000:function:Local-Fn');
  });

  test('Fn::Join joins resolved parts, as in a JSON environment variable', () => {
    expect(resolve({ 'Fn::Join': ['', ['[{"queueUrl":"', { Ref: 'Queue' }, '"}]']] })).toBe(
      '[{"queueUrl":"http://127.0.0.1:9324/000000000000/Local-Queue"}]',
    );
  });

  test('Fn::Sub replaces pseudo parameters, Res.Attr, variables, and keeps ${!Literal}', () => {
    expect(resolve({ 'Fn::Sub': 'cdk-${AWS::AccountId}-${AWS::Region}' })).toBe('cdk-000000000000-eu-west-1');
    expect(resolve({ 'Fn::Sub': '${Queue.QueueName}/${Fn}' })).toBe('Local-Queue/Local-Fn');
    expect(resolve({ 'Fn::Sub': ['${Name}-${!Literal}', { Name: { Ref: 'Fn' } }] })).toBe('Local-Fn-${Literal}');
  });

  test('Fn::Select and Fn::Split take an ARN apart', () => {
    expect(resolve({ 'Fn::Select': [5, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Queue', 'Arn'] }] }] })).toBe(
      'Local-Queue',
    );
  });

  test('Fn::FindInMap, Fn::If with a condition and AWS::NoValue', () => {
    expect(resolve({ 'Fn::FindInMap': ['Runtimes', 'us-east-1', 'node'] })).toBe('nodejs22.x');
    expect(resolve({ a: { 'Fn::If': ['IsEu', 'eu', 'other'] }, b: { Ref: 'AWS::NoValue' } })).toEqual({ a: 'eu' });
  });

  test('plain values pass through unchanged', () => {
    expect(resolve({ BatchSize: 25, Enabled: true, Types: ['ReportBatchItemFailures'], Nothing: null })).toEqual({
      BatchSize: 25,
      Enabled: true,
      Types: ['ReportBatchItemFailures'],
      Nothing: null,
    });
  });

  test('a reference to a missing resource fails, naming it and where it was used', () => {
    expect(() => resolveValue({ Ref: 'Gone' }, ctx, 'Fn.Properties.Environment')).toThrow(
      new TemplateError('Fn.Properties.Environment: Ref to Gone, which is not in the template'),
    );
    expect(() => resolve({ 'Fn::GetAtt': ['Gone', 'Arn'] })).toThrow(/no resource Gone/);
  });

  test('a resource without a local value yet, or an unknown attribute, fails clearly', () => {
    expect(() => resolve({ Ref: 'Pending' })).toThrow(
      /Ref Pending has no local value yet \(resource type Custom::Thing\)/,
    );
    expect(() => resolve({ 'Fn::GetAtt': ['Queue', 'Nope'] })).toThrow(/Queue\.Nope has no local value/);
  });

  test('an unsupported intrinsic is reported, not passed through', () => {
    expect(() => resolve({ 'Fn::ImportValue': 'Shared' })).toThrow(/Fn::ImportValue is not supported/);
  });
});

describe('SQS event source helpers', () => {
  const ids = new Set(['a', 'b']);

  test('an empty or absent failure report means every record succeeded', () => {
    expect(failedIdsFrom(undefined, ids)).toEqual(new Set());
    expect(failedIdsFrom({ batchItemFailures: [] }, ids)).toEqual(new Set());
  });

  test('reported ids are the failed records', () => {
    expect(failedIdsFrom({ batchItemFailures: [{ itemIdentifier: 'b' }] }, ids)).toEqual(new Set(['b']));
  });

  test('a malformed report or an id outside the batch fails the whole batch', () => {
    expect(failedIdsFrom({ batchItemFailures: [{ itemIdentifier: 'zzz' }] }, ids)).toBeUndefined();
    expect(failedIdsFrom({ batchItemFailures: [{ itemIdentifier: '' }] }, ids)).toBeUndefined();
    expect(failedIdsFrom({ batchItemFailures: 'b' }, ids)).toBeUndefined();
  });

  test('records carry message attributes in the Lambda shape', () => {
    const record = toSqsRecord(
      {
        MessageId: 'm1',
        ReceiptHandle: 'r',
        Body: '{}',
        MD5OfBody: 'x',
        Attributes: { ApproximateReceiveCount: '2' },
        MessageAttributes: { webhookId: { DataType: 'String', StringValue: 'wh' } },
      },
      'arn:aws:sqs:us-east-1:000000000000:q',
      'us-east-1',
    );
    expect(record.messageAttributes).toEqual({
      webhookId: { stringValue: 'wh', stringListValues: [], binaryListValues: [], dataType: 'String' },
    });
    expect(record.attributes.ApproximateReceiveCount).toBe('2');
    expect(record.eventSource).toBe('aws:sqs');
  });
});

describe('HTTP API body encoding', () => {
  test('JSON and text bodies pass as text, others as base64', () => {
    expect(isTextContentType('application/json; charset=utf-8')).toBe(true);
    expect(isTextContentType('text/plain')).toBe(true);
    expect(isTextContentType('application/vnd.api+json')).toBe(true);
    expect(isTextContentType('application/octet-stream')).toBe(false);
    expect(isTextContentType(undefined)).toBe(false);
  });
});
