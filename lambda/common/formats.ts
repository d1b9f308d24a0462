/**
 * The formats configuration values share, defined once for the constructs (`lib/`), the functions
 * (`lambda/`) and the CLI (`cli/`), so a value one of them accepts the others accept too.
 * Ranges are not here: each belongs to the code that gives the value its meaning.
 */

/** E.164: a `+`, a non-zero country code digit, then 7 to 15 digits in all. */
const E164 = /^\+[1-9]\d{6,14}$/;

/** Loose on purpose: the address is confirmed by the mail it receives, not by a pattern. */
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** What an E.164 number looks like, for messages. */
export const E164_EXAMPLE = '+15555550123';

export function isE164(value: string): boolean {
  return E164.test(value);
}

export function isEmailAddress(value: string): boolean {
  return EMAIL.test(value);
}

/** `https:` only, or `http:` too. */
export type UrlSchemes = 'https' | 'http(s)';

/** An absolute URL that parses, with an allowed scheme and a host. */
export function isWebUrl(value: string, schemes: UrlSchemes = 'http(s)'): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.hostname === '') return false;
  return url.protocol === 'https:' || (schemes === 'http(s)' && url.protocol === 'http:');
}
