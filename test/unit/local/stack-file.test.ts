import { endpointEnvironment, endpointFields, STANDIN_SERVICE_NAMES } from '../../../local/endpoints';
import type { LocalStack } from '../../../local/model';
import { LocalStackFileError, localStackFileOf, parseLocalStackFile } from '../../../local/stack-file';

const endpoints = {
  sqs: 'http://127.0.0.1:9324',
  dynamodb: 'http://127.0.0.1:8000',
  secretsManager: 'http://127.0.0.1:4100',
  eventbridge: 'http://127.0.0.1:4200',
  s3: 'http://127.0.0.1:4300',
};

/** The parts of a started stack the file is made of. */
function stackWith(tables: LocalStack['tables']): Parameters<typeof localStackFileOf>[0] {
  const queue = (key: string, role?: string) => ({
    logicalId: key,
    key,
    ...(role ? { role } : {}),
    name: key,
    url: `${endpoints.sqs}/000000000000/${key}`,
    arn: `arn:aws:sqs:us-east-1:000000000000:${key}`,
    visibilityTimeout: 30,
  });
  return {
    region: 'eu-west-1',
    endpoints,
    webhookUrl: 'http://127.0.0.1:3000/webhooks',
    queues: [queue('stateDlq', 'stateDlq'), queue('state', 'state'), queue('quarantine', 'quarantine')],
    tables,
  };
}

const table = (name: string, role?: string) => ({
  logicalId: name,
  name,
  arn: `arn:aws:dynamodb:us-east-1:000000000000:table/${name}`,
  ...(role ? { role } : {}),
});
const simulator = { graphqlUrl: 'http://127.0.0.1:4010/graphql', token: 'local-token' };

describe('stand-in endpoints come from one list', () => {
  test("each service's endpoint becomes the SDK's AWS_ENDPOINT_URL_<SERVICE> variable", () => {
    expect(endpointEnvironment(endpoints)).toEqual({
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
      AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
    });
  });

  test('and a <service>Endpoint field of the stack file, for every service in the list', () => {
    expect(endpointFields(endpoints)).toEqual({
      sqsEndpoint: endpoints.sqs,
      dynamodbEndpoint: endpoints.dynamodb,
      secretsManagerEndpoint: endpoints.secretsManager,
      eventbridgeEndpoint: endpoints.eventbridge,
      s3Endpoint: endpoints.s3,
    });
    expect(Object.keys(endpointFields(endpoints))).toHaveLength(STANDIN_SERVICE_NAMES.length);
  });
});

describe('.local/stack.json', () => {
  test('describes the stack: queues by role, the messages table, endpoints, the simulator', () => {
    const file = localStackFileOf(
      stackWith([table('other'), table('messages-table', 'messages')]),
      simulator,
      '/k.pem',
    );
    expect(file).toEqual({
      webhookUrl: 'http://127.0.0.1:3000/webhooks',
      region: 'eu-west-1',
      sqsEndpoint: endpoints.sqs,
      dynamodbEndpoint: endpoints.dynamodb,
      secretsManagerEndpoint: endpoints.secretsManager,
      eventbridgeEndpoint: endpoints.eventbridge,
      s3Endpoint: endpoints.s3,
      tableName: 'messages-table',
      queueUrls: {
        stateDlq: `${endpoints.sqs}/000000000000/stateDlq`,
        state: `${endpoints.sqs}/000000000000/state`,
        quarantine: `${endpoints.sqs}/000000000000/quarantine`,
      },
      voltApiUrl: simulator.graphqlUrl,
      voltToken: simulator.token,
      signingKeyFile: '/k.pem',
    });
  });

  test('names the archive bucket the template marks with its role, and the ArchivePrefix output', () => {
    const bucket = (name: string, role?: string) => ({
      logicalId: name,
      name,
      arn: `arn:aws:s3:::${name}`,
      ...(role ? { role } : {}),
    });
    const file = localStackFileOf(
      {
        ...stackWith([]),
        buckets: [bucket('access-logs'), bucket('the-archive', 'archiveBucket')],
        outputs: { ArchivePrefix: 'deliveries/', ArchiveBucketName: 'ignored-when-a-bucket-has-the-role' },
      },
      simulator,
      '/k.pem',
    );
    expect(file).toMatchObject({ archiveBucket: 'the-archive', archivePrefix: 'deliveries/' });
    expect(parseLocalStackFile(JSON.parse(JSON.stringify(file)), 'stack.json')).toEqual(file);
  });

  test('names a bucket passed in (no bucket in the template) by the ArchiveBucketName output', () => {
    const file = localStackFileOf(
      { ...stackWith([]), buckets: [], outputs: { ArchiveBucketName: 'their-bucket', ArchivePrefix: 'volt/' } },
      simulator,
      '/k.pem',
    );
    expect(file).toMatchObject({ archiveBucket: 'their-bucket', archivePrefix: 'volt/' });
  });

  test("lists each subscriber's event types from its Subscriber<Name>EventTypes output, and reads them back", () => {
    const base = stackWith([]);
    const queue = (key: string) => ({ ...base.queues[0]!, logicalId: key, key, name: key, role: key });
    const file = localStackFileOf(
      {
        ...base,
        queues: [...base.queues, queue('crm-sync'), queue('audit')],
        outputs: { SubscriberCrmSyncEventTypes: 'message.received,message.sent' },
      },
      simulator,
      '/k.pem',
    );
    expect(file.subscriberEventTypes).toEqual({ 'crm-sync': 'message.received,message.sent' });
    expect(parseLocalStackFile(JSON.parse(JSON.stringify(file)), 'stack.json')).toEqual(file);
    expect(localStackFileOf(base, simulator, '/k.pem')).not.toHaveProperty('subscriberEventTypes');
    expect(() => parseLocalStackFile({ subscriberEventTypes: { crm: 7 } }, 'stack.json')).toThrow(
      'subscriberEventTypes.crm must be a non-empty string, got 7',
    );
  });

  test('names no archive when the template has none', () => {
    const file = localStackFileOf({ ...stackWith([]), buckets: [], outputs: {} }, simulator, '/k.pem');
    expect(file).not.toHaveProperty('archiveBucket');
    expect(file).not.toHaveProperty('archivePrefix');
  });

  test('names no table when the template has none', () => {
    expect(localStackFileOf(stackWith([]), simulator, '/k.pem')).not.toHaveProperty('tableName');
  });

  test('reads back as written', () => {
    const file = localStackFileOf(stackWith([table('t', 'messages')]), simulator, '/k.pem');
    expect(parseLocalStackFile(JSON.parse(JSON.stringify(file)), 'stack.json')).toEqual(file);
  });

  test('may lack any field (an older version wrote it), and ignores fields it does not know', () => {
    expect(parseLocalStackFile({ region: 'us-east-1', later: true }, 'stack.json')).toEqual({ region: 'us-east-1' });
    expect(parseLocalStackFile({}, 'stack.json')).toEqual({});
  });

  test('reports every field that does not hold what it should, at once', () => {
    const read = () =>
      parseLocalStackFile(
        {
          region: 7,
          sqsEndpoint: 'not a url',
          queueUrls: { state: 'ftp://x', crm: 'http://127.0.0.1:1/q' },
          voltToken: '',
        },
        '/tmp/stack.json',
      );
    expect(read).toThrow(LocalStackFileError);
    expect(read).toThrow(
      '/tmp/stack.json is not a valid local stack file: sqsEndpoint must be an http(s) URL, got "not a url"; ' +
        'region must be a non-empty string, got 7; voltToken must be a non-empty string, got ""; ' +
        'queueUrls.state must be an http(s) URL, got "ftp://x"',
    );
  });

  test('must be a JSON object, with an object of queue URLs', () => {
    expect(() => parseLocalStackFile([], 'f')).toThrow(
      /f is not a valid local stack file: it does not hold a JSON object/,
    );
    expect(() => parseLocalStackFile({ queueUrls: ['x'] }, 'f')).toThrow(/queueUrls must be an object of queue URLs/);
  });
});
