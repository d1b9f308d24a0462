import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ConfigurationError } from './errors';

/** Smallest RSA modulus we trust. Volt's key size is unpublished; 2048 is today's floor. */
export const MIN_RSA_BITS = 2048;

/** A public key as configured: an OpenSSH `ssh-rsa` line, a PEM block, or a JWK (object or JSON text). */
export type PublicKeyInput = string | JsonWebKey;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;
const SSH_RSA_LINE = /^ssh-rsa\s+([A-Za-z0-9+/]+={0,2})(?:\s.*)?$/;

function readSshString(blob: Buffer, offset: number): { value: Buffer; next: number } {
  if (offset + 4 > blob.length) throw new ConfigurationError('ssh-rsa key is truncated');
  const length = blob.readUInt32BE(offset);
  const start = offset + 4;
  if (start + length > blob.length) throw new ConfigurationError('ssh-rsa key is truncated');
  return { value: blob.subarray(start, start + length), next: start + length };
}

function base64UrlUnsigned(mpint: Buffer): string {
  let start = 0;
  while (start < mpint.length - 1 && mpint[start] === 0) start += 1;
  return mpint.subarray(start).toString('base64url');
}

/**
 * Converts one OpenSSH public key line (`ssh-rsa AAAA... comment`) to a KeyObject.
 * Node's createPublicKey does not read this format, so the RFC 4253 wire encoding
 * (string "ssh-rsa", mpint e, mpint n) is unpacked into a JWK.
 */
export function parseSshRsa(line: string): KeyObject {
  const match = SSH_RSA_LINE.exec(line.trim());
  if (!match?.[1]) throw new ConfigurationError('not an OpenSSH "ssh-rsa AAAA..." line');
  const blob = Buffer.from(match[1], 'base64');
  const kind = readSshString(blob, 0);
  if (kind.value.toString('latin1') !== 'ssh-rsa') {
    throw new ConfigurationError(`ssh key blob is "${kind.value.toString('latin1')}", expected "ssh-rsa"`);
  }
  const e = readSshString(blob, kind.next);
  const n = readSshString(blob, e.next);
  return createPublicKey({
    key: { kty: 'RSA', e: base64UrlUnsigned(e.value), n: base64UrlUnsigned(n.value) },
    format: 'jwk',
  });
}

function checkRsa(key: KeyObject, label: string): KeyObject {
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') {
    throw new ConfigurationError(`${label} is a ${key.asymmetricKeyType ?? 'non-asymmetric'} key; Volt signs with RSA`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw new ConfigurationError(`${label} is a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`);
  }
  return key;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Parses one configured public key into a KeyObject. Accepts an OpenSSH `ssh-rsa` line,
 * a PEM block (SPKI `PUBLIC KEY`, PKCS#1 `RSA PUBLIC KEY`, or an X.509 certificate) or a JWK.
 * Throws {@link ConfigurationError} with a message that names what was wrong.
 */
export function parsePublicKey(input: PublicKeyInput, label = 'public key'): KeyObject {
  try {
    if (typeof input === 'object' && input !== null) {
      if (input.kty !== 'RSA') throw new ConfigurationError(`JWK has kty "${String(input.kty)}", expected "RSA"`);
      return checkRsa(createPublicKey({ key: input, format: 'jwk' }), label);
    }
    if (typeof input !== 'string') throw new ConfigurationError('expected a string or a JWK object');
    const text = input.trim();
    if (text.startsWith('{')) return parsePublicKey(JSON.parse(text) as JsonWebKey, label);
    if (text.startsWith('ssh-rsa')) return checkRsa(parseSshRsa(text), label);
    if (text.startsWith('-----BEGIN')) {
      if (/PRIVATE KEY-----/.test(text)) {
        throw new ConfigurationError('is a PRIVATE key; configure the public key only');
      }
      return checkRsa(createPublicKey(text), label);
    }
    throw new ConfigurationError('is neither an "ssh-rsa" line, a PEM block nor a JWK');
  } catch (err: unknown) {
    const message = describe(err);
    throw new ConfigurationError(message.startsWith(label) ? message : `${label}: ${message}`);
  }
}

/**
 * Parses every public key in a document such as the one served at Volt's key URL:
 * any number of `ssh-rsa` lines and PEM blocks, a single JWK, or a JWK set (`{"keys":[...]}`).
 */
export function parsePublicKeyDocument(text: string, label = 'key document'): KeyObject[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new ConfigurationError(`${label}: looks like JSON but does not parse`);
    }
    const maybeSet = parsed as { keys?: unknown };
    if (Array.isArray(maybeSet.keys)) {
      return maybeSet.keys.map((k, i) => parsePublicKey(k as JsonWebKey, `${label} key ${i + 1}`));
    }
    return [parsePublicKey(parsed as JsonWebKey, label)];
  }
  const keys: KeyObject[] = [];
  for (const pem of trimmed.match(PEM_BLOCK) ?? []) keys.push(parsePublicKey(pem, `${label} key ${keys.length + 1}`));
  const withoutPem = trimmed.replace(PEM_BLOCK, '');
  for (const line of withoutPem.split(/\r?\n/)) {
    const candidate = line.trim();
    if (candidate === '' || candidate.startsWith('#')) continue;
    keys.push(parsePublicKey(candidate, `${label} key ${keys.length + 1}`));
  }
  if (keys.length === 0) throw new ConfigurationError(`${label}: contains no public key`);
  return keys;
}

/**
 * Parses the `voltPublicKeys` configuration: a JSON array whose entries are `ssh-rsa` lines,
 * PEM blocks or JWK objects. Several keys may be trusted at once, for rotation.
 */
export function parsePublicKeyList(value: unknown, label = 'voltPublicKeys'): KeyObject[] {
  const list = typeof value === 'string' ? safeJson(value, label) : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigurationError(`${label} must be a non-empty JSON array of ssh-rsa lines, PEM blocks or JWK objects`);
  }
  return list.map((entry: unknown, i) => parsePublicKey(entry as PublicKeyInput, `${label}[${i}]`));
}

function safeJson(text: string, label: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigurationError(`${label} is not valid JSON`);
  }
}
