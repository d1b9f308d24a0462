import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ContextError, isCdkContextKey, readAppConfig } from '../../../lib/config';
import { testKeyPair } from '../../helpers/keys';
import { synthStack } from '../../helpers/synth';

const read = (context: Record<string, unknown>) => readAppConfig((key) => context[key]);
/** As the app reads it: every key present in the context is checked too. */
const readAll = (context: Record<string, unknown>) => readAppConfig((key) => context[key], Object.keys(context));
/** The one problem a context has, as the app would print it. */
function problemOf(context: Record<string, unknown>): string {
  try {
    readAll(context);
  } catch (err: unknown) {
    if (!(err instanceof ContextError)) throw err;
    expect(err.problems).toHaveLength(1);
    return err.problems[0] ?? '';
  }
  throw new Error(`no problem found in ${JSON.stringify(context)}`);
}

describe('context', () => {
  it('accepts JSON given as a string on the command line', () => {
    const config = read({
      subscribers: '[{"name":"crm","eventTypes":["message.received"]}]',
      messageRetentionDays: '30',
    });
    expect(config.subscribers).toEqual([{ name: 'crm', eventTypes: ['message.received'] }]);
    expect(config.messageRetentionDays).toBe(30);
    expect(config.stackName).toBe('VoltSmsWebhooks');
  });

  it.each([
    [{ subscribers: '[{"name":' }, /looks like JSON but does not parse/],
    [{ subscribers: '{"name":"crm"}' }, /must be a JSON array/],
    [{ subscribers: [{ eventTypes: [] }] }, /subscribers\[0\] needs a string "name"/],
    [{ messageRetentionDays: 'forever' }, /positive whole number/],
    [{ alarmEmail: 'ops' }, /not an email address/],
    [{ voltApiUrl: 'ftp://x' }, /http\(s\) URL/],
    [{ voltPublicKeys: 'ssh-rsa AAAA' }, /JSON array/],
  ])('refuses %j with a clear message', (context, message) => {
    expect(() => read(context)).toThrow(ContextError);
    expect(() => read(context)).toThrow(message);
  });
});

describe('synth-time validation', () => {
  it.each([
    [{ subscribers: [{ name: 'state' }] }, /reserved or used twice/],
    [{ subscribers: [{ name: 'crm' }, { name: 'CRM' }] }, /reserved or used twice/],
    [{ subscribers: [{ name: 'quarantine' }] }, /"quarantine" is reserved: the pipeline has a queue of that name/],
    [{ subscribers: [{ name: 'Archive' }] }, /"Archive" is reserved/],
    [{ subscribers: [{ name: 'crm' }, { name: 'crm-dlq' }] }, /"crm-dlq" is reserved: a name ending in "Dlq"/],
    [
      { eventRules: [{ name: 'stateDlq', pattern: { detail: { status: ['failed'] } } }] },
      /eventRules\[0\]\.name "stateDlq" is reserved/,
    ],
    [{ subscribers: [{ name: 'has space' }] }, /letters, digits/],
    [{ subscribers: [{ name: 'crm', eventTypes: [] }] }, /non-empty list/],
    [{ signatureScheme: 'rsa-sha256' }, /<padding>-<hash>-<encoding>/],
    [{ voltPublicKeys: ['not a key'] }, /voltPublicKeys\[0\]/],
    [{ voltPublicKeys: [testKeyPair('priv').privatePem] }, /PRIVATE key/],
    [{ voltPublicKeyUrl: 'file:///etc/passwd' }, /http\(s\) URL/],
  ])('fails cdk synth for %j', (context, message) => {
    expect(() => synthStack(context)).toThrow(message);
  });

  it('uses the key URL when no key is pinned', () => {
    const { template } = synthStack({ voltPublicKeyUrl: 'https://keys.example/id_rsa.pub' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { VOLT_PUBLIC_KEY_URL: 'https://keys.example/id_rsa.pub' } },
    });
  });
});

describe('unknown context keys', () => {
  it.each([
    ['signatureSheme', 'signatureScheme'],
    ['voltPubicKeys', 'voltPublicKeys'],
    ['voltPublicKeyURL', 'voltPublicKeyUrl'],
    ['subscriber', 'subscribers'],
    ['alarmMail', 'alarmEmail'],
    ['retentionDays', 'messageRetentionDays'],
    ['loglevel', 'logLevel'],
  ])('fail with the closest known key: %s -> %s', (typo, meant) => {
    expect(problemOf({ [typo]: 'x' })).toBe(`context "${typo}": unknown key; did you mean "${meant}"?`);
  });

  it('list the known keys when none is close', () => {
    const problem = problemOf({ region: 'eu-west-1' });
    expect(problem).toMatch(/^context "region": unknown key; the known keys are voltApiTokenSecret, .*signatureScheme/);
  });

  it.each([
    ['@aws-cdk/core:checkSecretUsage'],
    ['@aws-cdk-containers/ecs-service-extensions:enableDefaultLogDriver'],
    ['aws:cdk:enable-path-metadata'],
    ['aws:cdk:bundling-stacks'],
    ['aws-cdk:enableDiffNoFail'],
    ['cli-telemetry'],
    ['acknowledged-issue-numbers'],
    ['cdk-migrate'],
    ['availability-zones:account=123456789012:region=eu-west-1'],
  ])("leave CDK's own key %s alone", (key) => {
    expect(isCdkContextKey(key)).toBe(true);
    expect(() => readAll({ [key]: true })).not.toThrow();
  });

  it('fail cdk synth before anything is built', () => {
    expect(() => synthStack({ signatureSheme: 'pkcs1-sha256-base64' })).toThrow(
      'context "signatureSheme": unknown key; did you mean "signatureScheme"?',
    );
  });
});

describe('every value is checked', () => {
  const volt = testKeyPair('values');
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a secret name that is blank', { voltApiTokenSecret: '  ' }, /voltApiTokenSecret is empty/],
    [
      'a secret name that is not a string',
      { voltApiTokenSecret: 42 },
      /context "voltApiTokenSecret" must be a string, got 42/,
    ],
    [
      'an API URL that is not a URL',
      { voltApiUrl: 'api.respondflow.com' },
      /voltApiUrl must be an http\(s\) URL, got "api.respondflow.com"/,
    ],
    [
      'a plain-http key URL',
      { voltPublicKeyUrl: 'http://callbacks.respondflow.com/id_rsa.pub' },
      /voltPublicKeyUrl must be an https URL.*allowHttpKeyUrl.*got "http:\/\/callbacks/,
    ],
    [
      'allowHttpKeyUrl that is not a boolean',
      { allowHttpKeyUrl: 'yes' },
      /context "allowHttpKeyUrl" must be true or false, got "yes"/,
    ],
    ['an empty key list', { voltPublicKeys: '[]' }, /voltPublicKeys is empty/],
    [
      'a key list that is not an array',
      { voltPublicKeys: '{"kty":"RSA"}' },
      /context "voltPublicKeys" must be a JSON array/,
    ],
    ['a malformed key', { voltPublicKeys: '["ssh-rsa AAAA"]' }, /voltPublicKeys\[0\]/],
    ['an unknown signature scheme', { signatureScheme: 'pss-md5-base64' }, /signatureScheme/],
    [
      'an event type Volt does not send',
      { subscribers: '[{"name":"crm","eventTypes":["message.recieved"]}]' },
      /subscribers\[0\]\.eventTypes has "message.recieved", which Volt does not send .*did you mean "message.received"\? To keep it anyway, set allowUnknownEventTypes to true$/,
    ],
    [
      'allowUnknownEventTypes that is not a boolean',
      { subscribers: '[{"name":"crm","eventTypes":["message.sent"],"allowUnknownEventTypes":"sure"}]' },
      /^context "subscribers": subscribers\[0\]\.allowUnknownEventTypes must be true or false, got "sure"$/,
    ],
    [
      'a subscriber field with a typo',
      { subscribers: '[{"name":"crm","eventType":["message.received"]}]' },
      /context "subscribers": subscribers\[0\]\.eventType: unknown key; did you mean "eventTypes"\?/,
    ],
    [
      'subscriber names that collide once PascalCased',
      { subscribers: '[{"name":"crm-sync"},{"name":"crm_sync"}]' },
      /subscribers\[1\]\.name "crm_sync" is reserved or used twice: it is "crm-sync" once PascalCased/,
    ],
    [
      'a subscriber named like the state queue',
      { subscribers: '[{"name":"State"}]' },
      /subscribers\[0\]\.name "State" is reserved/,
    ],
    ['an alarm email that is not an address', { alarmEmail: 'ops@' }, /alarmEmail is not an email address: "ops@"/],
    [
      'a retention beyond a century',
      { messageRetentionDays: '40000' },
      /MessageStore: messageRetentionDays must be a whole number from 1 to 36500, got 40000/,
    ],
    [
      'a body limit below 1 KiB',
      { maxBodyBytes: '100' },
      /WebhookIngest: maxBodyBytes must be a whole number from 1024 to 204800.*got 100/,
    ],
    [
      'a body limit over 200 KiB',
      { maxBodyBytes: '300000' },
      /maxBodyBytes must be a whole number from 1024 to 204800.*got 300000/,
    ],
    [
      'a body limit that is not a number',
      { maxBodyBytes: '64k' },
      /context "maxBodyBytes" must be a positive whole number, got "64k"/,
    ],
    [
      'a rate over the account quota',
      { throttleRateLimit: '20000' },
      /throttleRateLimit must be a number above 0 and at most 10000/,
    ],
    [
      'a quarantine sample over 10,000 a minute',
      { quarantinePerMinute: '20000' },
      /WebhookIngest: quarantinePerMinute must be a whole number from 0 to 10000 \(0 keeps none\), got 20000/,
    ],
    [
      'a silence alarm beyond the 7 days CloudWatch can evaluate',
      { silenceAlarmHours: '169' },
      /^PipelineMonitoring: silenceAlarmHours must be a whole number from 0 to 168 \(0 turns the alarm off; CloudWatch evaluates at most 7 days of hourly periods\), got 169$/,
    ],
    [
      'a silence alarm of a fraction of an hour',
      { silenceAlarmHours: '1.5' },
      /context "silenceAlarmHours" must be a whole number, 0 or more, got "1.5"/,
    ],
    ['a negative silence alarm', { silenceAlarmHours: -1 }, /context "silenceAlarmHours" must be a whole number/],
    [
      'a stack name CloudFormation refuses',
      { stackName: 'my stack' },
      /context "stackName" must be 1-128 letters, digits or "-"/,
    ],
    ['nag=maybe', { nag: 'maybe' }, /context "nag" must be true or false, got "maybe"/],
  ])('refuses %s', (_label, context, message) => {
    expect(problemOf(context)).toMatch(message);
  });

  it('accepts an event type Volt does not document when the subscriber opts in', () => {
    const config = readAll({
      subscribers: '[{"name":"crm","eventTypes":["message.new"],"allowUnknownEventTypes":true}]',
    });
    expect(config.subscribers).toEqual([{ name: 'crm', eventTypes: ['message.new'], allowUnknownEventTypes: true }]);
  });

  it('accepts a plain-http key URL only when allowed', () => {
    const { template } = synthStack({ voltPublicKeyUrl: 'http://127.0.0.1:9999/id_rsa.pub', allowHttpKeyUrl: 'true' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { VOLT_PUBLIC_KEY_URL: 'http://127.0.0.1:9999/id_rsa.pub' } },
    });
  });

  it('reads silenceAlarmHours as a whole number, 0 included, from -c or cdk.json', () => {
    expect(readAll({ silenceAlarmHours: '0' }).silenceAlarmHours).toBe(0);
    expect(readAll({ silenceAlarmHours: 168 }).silenceAlarmHours).toBe(168);
    expect(readAll({}).silenceAlarmHours).toBeUndefined();
  });

  it('reads nag as a boolean, from -c or cdk.json', () => {
    expect(readAll({ nag: 'true' }).nag).toBe(true);
    expect(readAll({ nag: false }).nag).toBe(false);
    expect(readAll({}).nag).toBeUndefined();
  });

  it('reports every problem at once, one line each', () => {
    let error: unknown;
    try {
      readAll({
        signatureSheme: 'x',
        maxBodyBytes: '100',
        alarmEmail: 'ops',
        voltPublicKeys: JSON.stringify([volt.privatePem]),
      });
    } catch (err: unknown) {
      error = err;
    }
    expect(error).toBeInstanceOf(ContextError);
    const problems = (error as ContextError).problems;
    expect(problems).toHaveLength(4);
    expect((error as ContextError).message.split('\n')).toEqual(problems);
    expect(problems.join('\n')).toMatch(/signatureSheme[\s\S]*maxBodyBytes[\s\S]*PRIVATE key[\s\S]*alarmEmail/);
    // A private key pasted by mistake is never echoed back.
    expect(problems.join('\n')).not.toContain(volt.privatePem.split('\n')[1]!);
  });
});

describe('the app (bin/app.ts), as cdk synth runs it', () => {
  const root = path.resolve(__dirname, '..', '..', '..');
  const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  let outdir: string;
  beforeEach(() => {
    outdir = mkdtempSync(path.join(tmpdir(), 'volt-app-'));
  });
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  /** Runs the app with a context, as the CDK CLI hands it over (CDK_CONTEXT_JSON, CDK_OUTDIR). */
  function runApp(context: Record<string, unknown>) {
    const result = spawnSync(process.execPath, [tsx, path.join(root, 'bin', 'app.ts')], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
      timeout: 120_000,
    });
    return { code: result.status, stdout: result.stdout, lines: result.stderr.trimEnd().split('\n') };
  }

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'a bad value',
      { maxBodyBytes: '100' },
      /^WebhookIngest: maxBodyBytes must be a whole number from 1024 to 204800 .*got 100$/,
    ],
    [
      'a mistyped key',
      { voltPubicKeys: '[]' },
      /^context "voltPubicKeys": unknown key; did you mean "voltPublicKeys"\?$/,
    ],
  ])(
    'prints one line for %s and exits 1, having built nothing',
    (_label, context, line) => {
      const { code, stdout, lines } = runApp(context);
      expect({ code, stdout, lines }).toEqual({ code: 1, stdout: '', lines: [expect.stringMatching(line)] });
      expect(readdirSync(outdir)).toEqual([]);
    },
    130_000,
  );

  it('synthesizes with a good configuration', () => {
    const { code, lines } = runApp({ maxBodyBytes: '4096', 'aws:cdk:bundling-stacks': [] });
    expect({ code, stderr: lines.join('\n') }).toEqual({ code: 0, stderr: '' });
    expect(readdirSync(outdir)).toContain('VoltSmsWebhooks.template.json');
  }, 130_000);
});
