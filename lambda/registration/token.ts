import { DomainError } from '../common/errors';

/** The token secret is empty or malformed. Its content is never put in the message. */
export class TokenSecretError extends DomainError {}

/**
 * Reads Volt's API token from a secret's `SecretString`: either the token itself, or a JSON
 * object with a string `token` field (`{"token":"eyJ..."}`), the shape the Secrets Manager
 * console's key/value editor produces.
 */
export function parseTokenSecret(secretString: string | undefined, secretId: string): string {
  const text = (secretString ?? '').trim();
  if (text === '')
    throw new TokenSecretError(`secret ${secretId} has no string value; store the Volt API token as the secret's text`);
  if (!text.startsWith('{')) return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TokenSecretError(
      `secret ${secretId} starts with "{" but is not valid JSON; store the bare token or {"token":"..."}`,
    );
  }
  const token = (parsed as { token?: unknown } | null)?.token;
  if (typeof token !== 'string' || token.trim() === '') {
    throw new TokenSecretError(
      `secret ${secretId} is JSON without a non-empty string "token" field; store the bare token or {"token":"..."}`,
    );
  }
  return token.trim();
}
