import {
  parseStartOptions,
  portHint,
  synthContext,
  UsageError,
  type StartOptions,
} from '../../../../local/start/options';

const PORT_ENV = [
  'LOCAL_HTTP_PORT',
  'LOCAL_SQS_PORT',
  'LOCAL_DYNAMODB_PORT',
  'LOCAL_SECRETS_PORT',
  'LOCAL_S3_PORT',
  'LOCAL_VOLT_PORT',
];
const saved = Object.fromEntries(PORT_ENV.map((name) => [name, process.env[name]]));

beforeEach(() => {
  for (const name of PORT_ENV) delete process.env[name];
});
afterAll(() => {
  for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
});

const parse = (...args: string[]) => parseStartOptions(args) as StartOptions;

describe('npm start options', () => {
  test('default to the documented ports, a synth and no demo', () => {
    expect(parse()).toEqual({
      ports: { http: 3000, sqs: 9324, dynamodb: 8000, secretsManager: 0, eventbridge: 0, s3: 0 },
      voltPort: 4010,
      context: {},
      synth: true,
      demo: false,
    });
  });

  test('take ports from flags first, then from the environment', () => {
    process.env['LOCAL_SQS_PORT'] = '9400';
    process.env['LOCAL_HTTP_PORT'] = '3999';
    expect(
      parse('--port', '0', '--dynamodb-port', '8100', '--secrets-port', '4100', '--s3-port', '4300').ports,
    ).toEqual({
      http: 0,
      sqs: 9400,
      dynamodb: 8100,
      secretsManager: 4100,
      eventbridge: 0,
      s3: 4300,
    });
  });

  test('refuse a port that is not one, naming the flag and its variable', () => {
    expect(() => parse('--sqs-port', '70000')).toThrow(UsageError);
    expect(() => parse('--sqs-port', '70000')).toThrow(
      '--sqs-port (or LOCAL_SQS_PORT) must be a port number 0-65535, got "70000"',
    );
  });

  test('--no-synth needs a fixed simulator port, which the reused template holds', () => {
    expect(parse('--no-synth', '--volt-port', '4011')).toMatchObject({ synth: false, voltPort: 4011 });
    expect(() => parse('--no-synth', '--volt-port', '0')).toThrow(/give a fixed --volt-port/);
  });

  test('--context takes key=value pairs, and --help asks for the usage', () => {
    expect(parse('--context', 'logLevel=INFO', '--context', 'a=b=c').context).toEqual({ logLevel: 'INFO', a: 'b=c' });
    expect(() => parse('--context', 'novalue')).toThrow('--context takes key=value, got "novalue"');
    expect(parseStartOptions(['--help'])).toBe('help');
  });

  test('a taken port names the flag that changes it', () => {
    expect(portHint('dynamodb')).toBe('pass --dynamodb-port <port> (0 = a free port)');
    expect(portHint('http')).toBe('pass --port <port> (0 = a free port)');
  });
});

describe('the local synth context', () => {
  const local = { publicKeyPem: 'PEM', voltApiUrl: 'http://127.0.0.1:4010/graphql', tokenSecret: 'volt/local' };

  test('points the stack at the simulator, logs at DEBUG, archives each second and adds an inbox subscriber unless configured', () => {
    expect(synthContext(parse(), local)).toEqual({
      voltPublicKeys: JSON.stringify(['PEM']),
      voltApiUrl: local.voltApiUrl,
      voltApiTokenSecret: 'volt/local',
      logLevel: 'DEBUG',
      archiveBatchWindowSeconds: '1',
      subscribers: JSON.stringify([{ name: 'inbox', eventTypes: ['message.received'] }]),
    });
  });

  test('--subscribers and --context win over the local defaults', () => {
    const context = synthContext(
      parse('--subscribers', '[]', '--context', 'logLevel=WARN', '--context', 'archiveBatchWindowSeconds=30'),
      local,
    );
    expect(context).toMatchObject({ subscribers: '[]', logLevel: 'WARN', archiveBatchWindowSeconds: '30' });
  });
});
