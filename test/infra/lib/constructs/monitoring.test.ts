import { App, Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { KeyRing } from '../../../../lambda/common/key-ring';
import { WebhookIngestor } from '../../../../lambda/ingest/ingest';
import { DEFAULT_SCHEME, SIGNATURE_HEADER } from '../../../../lambda/common/signature';
import { DEFAULT_SIMULATOR_TOKEN } from '../../../../local/volt-simulator/defaults';
import { ContextError } from '../../../../lib/config';
import { DurableQueue } from '../../../../lib/constructs/durable-queue';
import { PipelineMonitoring, type PipelineMonitoringProps } from '../../../../lib/constructs/monitoring';
import { VoltWebhookPipeline } from '../../../../lib/constructs/volt-webhook-pipeline';
import {
  ACCESS_LOG_FORMAT,
  DEFAULT_THROTTLE_RATE_LIMIT,
  WebhookIngest,
} from '../../../../lib/constructs/webhook-ingest';
import { testKeyPair } from '../../../helpers/keys';
import { synthStack } from '../../../helpers/synth';
import { describeProblem } from '../../../../lib/validation';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Ref = { Ref: string };
type GetAtt = { 'Fn::GetAtt': [string, string] };

const volt = testKeyPair('volt');
const SUBSCRIBERS = JSON.stringify([{ name: 'crm', eventTypes: ['message.received'] }, { name: 'analytics-sync' }]);
const full = synthStack({
  subscribers: SUBSCRIBERS,
  voltApiTokenSecret: 'volt/api-token',
  alarmEmail: 'ops@example.com',
});
const minimal = synthStack({});

function resources(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.findResources(type)) as [string, Resource][];
}

/** Logical ids of the queues some RedrivePolicy names as its dead-letter target. */
function deadLetterQueueIds(template: Template): string[] {
  return resources(template, 'AWS::SQS::Queue')
    .map(
      ([, q]) =>
        (q.Properties.RedrivePolicy as { deadLetterTargetArn?: GetAtt } | undefined)?.deadLetterTargetArn?.[
          'Fn::GetAtt'
        ][0],
    )
    .filter((id): id is string => id !== undefined);
}

function alarms(template: Template): [string, Resource][] {
  return resources(template, 'AWS::CloudWatch::Alarm');
}

function topicId(template: Template): string {
  const topics = resources(template, 'AWS::SNS::Topic');
  expect(topics).toHaveLength(1);
  return topics[0]![0];
}

function consumerId(template: Template): string {
  const fns = resources(template, 'AWS::Lambda::Function').filter(([, f]) =>
    JSON.stringify(f.Properties.Environment ?? {}).includes('TABLE_NAME'),
  );
  expect(fns).toHaveLength(1);
  return fns[0]![0];
}

function stage(template: Template): Resource {
  const stages = resources(template, 'AWS::ApiGatewayV2::Stage');
  expect(stages).toHaveLength(1);
  return stages[0]![1];
}

describe('alarms', () => {
  it.each([
    // The state queue's, each subscriber's and the archive queue's.
    ['two subscribers', full.template, 4],
    ['no subscriber', minimal.template, 2],
  ])('watch every dead-letter queue, one alarm each (%s)', (_label, template, expected) => {
    const dlqs = deadLetterQueueIds(template);
    expect(dlqs).toHaveLength(expected);
    const depthAlarms = alarms(template).filter(
      ([, a]) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible',
    );
    expect(depthAlarms).toHaveLength(dlqs.length);
    const watched = depthAlarms.map(
      ([, a]) => (a.Properties.Dimensions as { Value: GetAtt }[])[0]!.Value['Fn::GetAtt'][0],
    );
    expect(watched.sort()).toEqual([...dlqs].sort());
    for (const [, a] of depthAlarms) {
      expect(a.Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('notify the topic when they fire and when they recover', () => {
    const topic = topicId(full.template);
    const all = alarms(full.template);
    expect(all.length).toBeGreaterThanOrEqual(8);
    for (const [, a] of all) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: topic }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: topic }]);
      expect(String(a.Properties.AlarmDescription)).toMatch(/docs\/operating\.md/);
    }
  });

  it("watch the age of the state queue's oldest message", () => {
    const stateQueueId = full.stack.getLogicalId(
      full.stack.pipeline.stateQueue.queue.node.defaultChild as sqs.CfnQueue,
    );
    full.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [stateQueueId, 'QueueName'] } }],
      Threshold: 600,
    });
  });

  it("watch the webhook API's 5xx answers", () => {
    const apiId = resources(full.template, 'AWS::ApiGatewayV2::Api')[0]![0];
    full.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }],
      Statistic: 'Sum',
    });
  });

  it('watch for a spike of signature rejections, on the metric the ingest function emits', () => {
    // The alarm's namespace is the one the functions are told to emit into, and it is per stack.
    const fns = Object.values(
      full.template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { TARGET_QUEUES: Match.anyValue() } } },
      }),
    );
    const namespace = (fns[0] as { Properties: { Environment: { Variables: Record<string, string> } } }).Properties
      .Environment.Variables.POWERTOOLS_METRICS_NAMESPACE;
    expect(namespace).toBe(`VoltWebhooks/${full.stack.stackName}`);
    full.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: namespace,
      MetricName: 'SignatureRejected',
      Dimensions: [{ Name: 'service', Value: 'ingest' }],
      Statistic: 'Sum',
      Threshold: 25,
    });
  });

  it.each(['Errors', 'Throttles'])("watch the consumer's %s", (metric) => {
    full.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: metric,
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: consumerId(full.template) } }],
    });
  });
});

describe('silence alarm', () => {
  const silenceAlarms = (template: Template) => alarms(template).filter(([id]) => id.includes('WebhookSilence'));

  it('fires when no event reached the state queue for 24 hourly periods, missing data counting as silence', () => {
    const stateQueueId = full.stack.getLogicalId(
      full.stack.pipeline.stateQueue.queue.node.defaultChild as sqs.CfnQueue,
    );
    const found = silenceAlarms(full.template);
    expect(found).toHaveLength(1);
    expect(found[0]![1].Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'NumberOfMessagesSent',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [stateQueueId, 'QueueName'] } }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 24,
      DatapointsToAlarm: 24,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(String(found[0]![1].Properties.AlarmDescription)).toMatch(/24 hour\(s\).*docs\/operating\.md/);
    expect(full.stack.pipeline.monitoring.silenceAlarm).toBeDefined();
  });

  it('watches as many hours as silenceAlarmHours says, up to the 7 days CloudWatch evaluates', () => {
    for (const hours of [1, 168]) {
      const found = silenceAlarms(synthStack({ silenceAlarmHours: String(hours) }).template);
      expect(found).toHaveLength(1);
      expect(found[0]![1].Properties).toMatchObject({
        Period: 3600,
        EvaluationPeriods: hours,
        DatapointsToAlarm: hours,
      });
      // CloudWatch's rule for periods of an hour or more: period x evaluation periods <= 7 days.
      expect(3600 * hours).toBeLessThanOrEqual(7 * 24 * 3600);
    }
  });

  it('is absent with silenceAlarmHours 0, and every other alarm stays', () => {
    const off = synthStack({ silenceAlarmHours: '0' });
    expect(silenceAlarms(off.template)).toHaveLength(0);
    expect(off.stack.pipeline.monitoring.silenceAlarm).toBeUndefined();
    expect(alarms(off.template)).toHaveLength(alarms(minimal.template).length - 1);
  });

  it('is the only alarm that treats missing data as breaching', () => {
    const breaching = alarms(full.template).filter(([, a]) => a.Properties.TreatMissingData === 'breaching');
    expect(breaching.map(([, a]) => a.Properties.MetricName)).toEqual(['NumberOfMessagesSent']);
  });

  it.each([
    [-1, /^PipelineMonitoring: silenceAlarmHours must be a whole number from 0 to 168 .*, got -1$/],
    [169, /^PipelineMonitoring: silenceAlarmHours must be a whole number from 0 to 168 .*, got 169$/],
    [2.5, /^PipelineMonitoring: silenceAlarmHours must be a whole number from 0 to 168 .*, got 2.5$/],
  ])('is refused by PipelineMonitoring for %p hours', (hours, message) => {
    const problems = PipelineMonitoring.checkProps({ silenceAlarmHours: hours });
    expect(problems.map(describeProblem)).toEqual([expect.stringMatching(message)]);
  });
});

describe('throttled requests alarm', () => {
  it('counts the 429 answers in the access log, by a metric filter, and fires on any', () => {
    const settings = stage(full.template).Properties.AccessLogSettings as { DestinationArn: GetAtt };
    const logGroupId = settings.DestinationArn['Fn::GetAtt'][0];
    const filters = resources(full.template, 'AWS::Logs::MetricFilter');
    expect(filters).toHaveLength(1);
    const [, filter] = filters[0]!;
    expect(filter.Properties.LogGroupName).toEqual({ Ref: logGroupId });
    const transformation = (filter.Properties.MetricTransformations as Record<string, unknown>[])[0]!;
    expect(transformation).toMatchObject({
      MetricName: 'ThrottledRequests',
      MetricNamespace: `VoltWebhooks/${full.stack.stackName}`,
      MetricValue: '1',
    });
    // The access log's status is a JSON string ("429"): the pattern must match it as one.
    expect(String(filter.Properties.FilterPattern)).toContain('$.status = "429"');
    full.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: `VoltWebhooks/${full.stack.stackName}`,
      MetricName: 'ThrottledRequests',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('matches the status field of the access log format the stage writes', () => {
    expect(JSON.parse(ACCESS_LOG_FORMAT)).toMatchObject({ status: '$context.status' });
  });
});

describe('alarm topic', () => {
  it('is encrypted with a rotated key that CloudWatch may use, and refuses requests without TLS', () => {
    const [, topic] = resources(full.template, 'AWS::SNS::Topic')[0]!;
    const keyId = (topic.Properties.KmsMasterKeyId as GetAtt)['Fn::GetAtt'][0];
    const key = full.template.toJSON().Resources[keyId] as Resource;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(JSON.stringify(key.Properties.KeyPolicy)).toContain('cloudwatch.amazonaws.com');
    full.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId(full.template) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('has an email subscription only when alarmEmail is set', () => {
    full.template.resourceCountIs('AWS::SNS::Subscription', 1);
    full.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topicId(full.template) },
    });
    minimal.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('is an output, with the dashboard name and link', () => {
    full.template.hasOutput('AlarmTopicArn', { Value: { Ref: topicId(full.template) } });
    const dashboardId = resources(full.template, 'AWS::CloudWatch::Dashboard')[0]![0];
    full.template.hasOutput('DashboardName', { Value: { Ref: dashboardId } });
    expect(JSON.stringify(full.template.findOutputs('DashboardUrl'))).toContain('#dashboards:name=');
  });
});

describe('dashboard', () => {
  it('is one dashboard showing every alarm, the DLQs, the state queue and the consumer', () => {
    const dashboards = resources(full.template, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]![1].Properties.DashboardBody);
    expect(dashboards[0]![1].Properties.DashboardName).toBeUndefined();
    for (const [alarmId] of alarms(full.template)) expect(body).toContain(alarmId);
    for (const dlq of deadLetterQueueIds(full.template)) expect(body).toContain(dlq);
    expect(body).toContain(consumerId(full.template));
    for (const metric of ['ApproximateAgeOfOldestMessage', 'SignatureRejected', 'ConsumerLag', '5xx'])
      expect(body).toContain(metric);
  });
});

describe('HTTP edge', () => {
  it('throttles the default stage at 1,000 requests per second with a bucket of 500 by default (docs/capacity.md)', () => {
    expect(stage(minimal.template).Properties.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: 1000,
      ThrottlingBurstLimit: 500,
    });
    // A 100,000-message campaign over ten minutes: two events per message plus replies.
    const campaignPerSecond = 340;
    expect(DEFAULT_THROTTLE_RATE_LIMIT).toBeGreaterThanOrEqual(2 * campaignPerSecond);
  });

  it('takes the throttling limits from context, as strings from -c', () => {
    const { template } = synthStack({ throttleRateLimit: '12.5', throttleBurstLimit: '40' });
    expect(stage(template).Properties.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: 12.5,
      ThrottlingBurstLimit: 40,
    });
  });

  it.each([
    [{ throttleRateLimit: '0' }, /throttleRateLimit.*above 0/],
    [{ throttleBurstLimit: '2.5' }, /throttleBurstLimit.*positive whole number/],
    [{ throttleBurstLimit: '9000' }, /throttleBurstLimit must be a whole number from 1 to 5000/],
  ])('refuses throttling context %j', (context, message) => {
    expect(() => synthStack(context)).toThrow(message);
  });

  it('rejects a non-number throttle as a context error', () => {
    expect(() => synthStack({ throttleRateLimit: 'fast' })).toThrow(ContextError);
  });

  it('writes access logs as one JSON object per request, with no body or header, to a log group with retention', () => {
    const settings = stage(full.template).Properties.AccessLogSettings as { DestinationArn: GetAtt; Format: string };
    const fields = JSON.parse(settings.Format) as Record<string, string>;
    expect(fields).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      routeKey: '$context.routeKey',
    });
    expect(Object.values(fields).every((v) => v.startsWith('$context.'))).toBe(true);
    expect(settings.Format).not.toMatch(/\$request\.|\$input|body|header/i);
    expect(settings.Format).toBe(ACCESS_LOG_FORMAT);
    const group = full.template.toJSON().Resources[settings.DestinationArn['Fn::GetAtt'][0]] as Resource;
    expect(group.Type).toBe('AWS::Logs::LogGroup');
    expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('enforces the body limit before any work: the synthesized limit answers 413 without consulting a key or sending', async () => {
    const { template } = synthStack({ maxBodyBytes: '4096' });
    const [, ingest] = resources(template, 'AWS::Lambda::Function').find(([, f]) =>
      JSON.stringify(f.Properties.Environment ?? {}).includes('TARGET_QUEUES'),
    )!;
    const limit = Number(
      (ingest.Properties.Environment as { Variables: Record<string, string> }).Variables.MAX_BODY_BYTES,
    );
    expect(limit).toBe(4096);
    const keyRing = new KeyRing({ pinned: [volt.publicKey] });
    const current = jest.spyOn(keyRing, 'current');
    const send = jest.fn(async () => undefined);
    const ingestor = new WebhookIngestor({
      keyRing,
      scheme: DEFAULT_SCHEME,
      targets: [{ kind: 'sqs', name: 'state', address: 'https://sqs.example/state', deliver: send }],
      maxBodyBytes: limit,
    });
    const over = JSON.stringify({ id: 'rfw_big', payload: { text: 'x'.repeat(limit) } });
    const { response } = await ingestor.handle({ headers: { [SIGNATURE_HEADER]: 'c2ln' }, body: over });
    expect(response.statusCode).toBe(413);
    expect(current).not.toHaveBeenCalled();
    expect(send).not.toHaveBeenCalled();
  });
});

describe('logs and secrets', () => {
  it('give every log group a retention, and every function an explicit log group', () => {
    for (const { template } of [full, minimal]) {
      const groups = resources(template, 'AWS::Logs::LogGroup');
      expect(groups.length).toBeGreaterThan(0);
      for (const [id, g] of groups)
        expect({ id, retention: g.Properties.RetentionInDays }).toEqual({ id, retention: expect.any(Number) });
      // A function without one logs to a group Lambda creates itself, with no retention.
      for (const [id, fn] of resources(template, 'AWS::Lambda::Function')) {
        const groupRef = (fn.Properties.LoggingConfig as { LogGroup?: Ref } | undefined)?.LogGroup?.Ref;
        expect({ id, hasGroup: groupRef !== undefined && groups.some(([g]) => g === groupRef) }).toEqual({
          id,
          hasGroup: true,
        });
      }
    }
  });

  it('put no secret in any environment variable or template value', () => {
    const pinned = synthStack({
      subscribers: SUBSCRIBERS,
      voltApiTokenSecret: 'volt/api-token',
      voltPublicKeys: JSON.stringify([volt.formats.sshRsa]),
    });
    for (const { template } of [full, pinned]) {
      const text = JSON.stringify(template.toJSON());
      expect(text).not.toMatch(/PRIVATE KEY|AKIA[0-9A-Z]{16}|aws_secret_access_key|Bearer /i);
      expect(text).not.toContain(DEFAULT_SIMULATOR_TOKEN);
      expect(text).not.toContain(volt.privatePem.split('\n')[1]!);
      for (const [id, fn] of resources(template, 'AWS::Lambda::Function')) {
        const vars =
          (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
        for (const [name, value] of Object.entries(vars)) {
          // A name that says secret may only carry where the secret is, never the secret.
          if (/TOKEN|SECRET|PASSWORD|PRIVATE/i.test(name))
            expect({ id, name }).toEqual({ id, name: expect.stringMatching(/_(ID|ARN|NAME)$/) });
          // A bare high-entropy string is what a pasted credential looks like.
          if (typeof value === 'string')
            expect({ id, name, value }).toEqual({
              id,
              name,
              value: expect.not.stringMatching(/^[A-Za-z0-9+/_=-]{32,}$/),
            });
        }
      }
    }
    const registration = resources(full.template, 'AWS::Lambda::Function').find(([, f]) =>
      JSON.stringify(f.Properties.Environment ?? {}).includes('VOLT_API_TOKEN_SECRET_ID'),
    );
    expect(
      (registration![1].Properties.Environment as { Variables: Record<string, unknown> }).Variables
        .VOLT_API_TOKEN_SECRET_ID,
    ).toBe('volt/api-token');
  });
});

describe('PipelineMonitoring props', () => {
  function props(stack: Stack, overrides: Partial<PipelineMonitoringProps> = {}): PipelineMonitoringProps {
    const fn = lambda.Function.fromFunctionName(stack, `Fn${stack.node.children.length}`, 'consumer');
    return {
      deadLetterQueues: [{ name: 'state', queue: new sqs.Queue(stack, `Dlq${stack.node.children.length}`) }],
      stateQueue: new sqs.Queue(stack, `Q${stack.node.children.length}`),
      api: new apigwv2.HttpApi(stack, `Api${stack.node.children.length}`),
      ingestFunction: fn,
      consumerFunction: fn,
      ...overrides,
    };
  }

  it.each([
    ['no dead-letter queue', { deadLetterQueues: [] }, /at least one dead-letter queue/],
    ['an alarm email that is no address', { alarmEmail: 'ops' }, /not an email address/],
    ['a 5 s maximum queue age', { maxStateQueueAge: Duration.seconds(5) }, /maxStateQueueAge/],
    ['a 5xx threshold of 0', { serverErrorThreshold: 0 }, /serverErrorThreshold/],
    ['a fractional rejection threshold', { signatureRejectionThreshold: 1.5 }, /signatureRejectionThreshold/],
  ])('refuses %s with a message naming it', (_label, overrides, message) => {
    const stack = new Stack(new App(), 'S');
    expect(
      () => new PipelineMonitoring(stack, 'M', props(stack, overrides as Partial<PipelineMonitoringProps>)),
    ).toThrow(message);
  });

  it('refuses two dead-letter queues whose alarm names would collide', () => {
    const stack = new Stack(new App(), 'S');
    const queues = [
      { name: 'crm-sync', queue: new sqs.Queue(stack, 'A') },
      { name: 'crm_sync', queue: new sqs.Queue(stack, 'B') },
    ];
    expect(() => new PipelineMonitoring(stack, 'M', props(stack, { deadLetterQueues: queues }))).toThrow(/unique/);
  });

  it('uses the thresholds it is given', () => {
    const stack = new Stack(new App(), 'S');
    new PipelineMonitoring(
      stack,
      'M',
      props(stack, {
        maxStateQueueAge: Duration.minutes(2),
        serverErrorThreshold: 1,
        signatureRejectionThreshold: 100,
      }),
    );
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 120,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5xx', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'SignatureRejected', Threshold: 100 });
  });
});

describe('WebhookIngest throttle props', () => {
  it('refuses a rate above the account quota', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    expect(
      () =>
        new WebhookIngest(stack, 'I', {
          targets: [{ name: 'state', queue: new sqs.Queue(stack, 'Q') }],
          throttleRateLimit: 20_000,
        }),
    ).toThrow(/throttleRateLimit/);
  });
});

describe('log level and quarantine sampling from context', () => {
  /** The project's own functions (the CDK provider framework's function keeps its own level). */
  const voltFunctions = (template: Template) =>
    resources(template, 'AWS::Lambda::Function').filter(([, f]) => f.Properties.Handler === 'index.handler');
  const ingestEnv = (template: Template) =>
    resources(template, 'AWS::Lambda::Function')
      .map(
        ([, f]) => (f.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
      )
      .find((v) => 'TARGET_QUEUES' in v)!;

  it('sets every function to INFO through Lambda logging controls by default', () => {
    const fns = voltFunctions(full.template);
    // Ingest, consumer, registration, the status-event publisher and the archiver.
    expect(fns).toHaveLength(5);
    for (const [, fn] of fns)
      expect(fn.Properties.LoggingConfig).toMatchObject({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' });
  });

  it('takes -c logLevel in any case', () => {
    const { template } = synthStack({ logLevel: 'debug' });
    const levels = voltFunctions(template).map(
      ([, f]) => (f.Properties.LoggingConfig as { ApplicationLogLevel?: string }).ApplicationLogLevel,
    );
    expect(levels.length).toBeGreaterThan(0);
    expect(new Set(levels)).toEqual(new Set(['DEBUG']));
  });

  it('refuses an unknown log level', () => {
    expect(() => synthStack({ logLevel: 'verbose' })).toThrow(
      /context "logLevel" must be one of DEBUG, INFO, WARN, ERROR/,
    );
  });

  it('passes -c quarantinePerMinute to the ingest function, 0 included', () => {
    expect(ingestEnv(synthStack({ quarantinePerMinute: '0' }).template)['QUARANTINE_PER_MINUTE']).toBe('0');
    expect(ingestEnv(synthStack({ quarantinePerMinute: '25' }).template)['QUARANTINE_PER_MINUTE']).toBe('25');
    expect(ingestEnv(minimal.template)['QUARANTINE_PER_MINUTE']).toBeUndefined();
  });

  it.each([['-1'], ['2.5'], ['many']])('refuses quarantinePerMinute %s', (value) => {
    expect(() => synthStack({ quarantinePerMinute: value })).toThrow(/quarantinePerMinute/);
  });

  it('counts accepted events on the dashboard from SQS, not from a metric line per request', () => {
    const body = JSON.stringify(resources(full.template, 'AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody);
    expect(body).toContain('NumberOfMessagesSent');
    expect(body).not.toContain('"Enqueued"');
  });
});

describe('dead-letter alarms, found in the pipeline when it is synthesized', () => {
  function pipelineStack() {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    // Without the delivery archive, whose own queue's alarm is named "archive" too.
    return { stack, pipeline: new VoltWebhookPipeline(stack, 'Pipeline', { archive: false }) };
  }

  it('watch a DurableQueue added to the pipeline after it was constructed', () => {
    const { stack, pipeline } = pipelineStack();
    const late = new DurableQueue(pipeline, 'Archive');
    const template = Template.fromStack(stack);
    const dlqId = stack.getLogicalId(late.deadLetterQueue.node.defaultChild as CfnElement);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      AlarmActions: [{ Ref: topicId(template) }],
    });
    expect([...pipeline.monitoring.deadLetterAlarms.keys()]).toEqual(['state', 'Archive']);
    const body = JSON.stringify(resources(template, 'AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody);
    expect(body).toContain(dlqId);
    expect(deadLetterQueueIds(template)).toHaveLength(2);
  });

  it('refuse a late queue whose alarm would take an existing name', () => {
    const { stack, pipeline } = pipelineStack();
    new DurableQueue(pipeline, 'State');
    expect(() => Template.fromStack(stack)).toThrow(/deadLetterQueue name must be unique once PascalCased .*"State"/);
  });
});
