import { isE164, isEmailAddress, isWebUrl } from '../../../../lambda/common/formats';

describe('shared formats', () => {
  it.each([
    ['+15555550123', true],
    ['+4930123456', true],
    ['+123456789012345', true],
    ['+1234567890123456', false],
    ['+123456', false],
    ['+0123456789', false],
    ['15555550123', false],
    ['+1 555 555 0123', false],
  ])('E.164 %s: %s', (value, ok) => {
    expect(isE164(value)).toBe(ok);
  });

  it.each([
    ['ops@example.com', true],
    ['ops+alarms@sub.example.org', true],
    ['ops', false],
    ['ops@', false],
    ['ops@example', false],
    ['ops @example.com', false],
  ])('email %s: %s', (value, ok) => {
    expect(isEmailAddress(value)).toBe(ok);
  });

  it.each([
    ['https://api.respondflow.com/graphql', true, true],
    ['http://127.0.0.1:4000/graphql', true, false],
    ['ftp://example.com/key', false, false],
    ['file:///etc/passwd', false, false],
    ['https://', false, false],
    ['callbacks.respondflow.com/id_rsa.pub', false, false],
  ])('URL %s: http(s) %s, https %s', (value, web, https) => {
    expect(isWebUrl(value)).toBe(web);
    expect(isWebUrl(value, 'https')).toBe(https);
  });
});
