import { ContextError, readAppConfig } from '../../lib/config';
import { testKeyPair } from '../helpers/keys';
import { synthStack } from '../helpers/synth';

const read = (context: Record<string, unknown>) => readAppConfig((key) => context[key]);

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
