import { constants, createPrivateKey, sign, verify, type KeyLike, type KeyObject } from 'node:crypto';
import { ConfigurationError, SignatureRejectedError } from './errors';

/** The HTTP header Volt signs its deliveries with (matched case-insensitively). */
export const SIGNATURE_HEADER = 'x-respond-flow-signature';

export const HASHES = ['sha256', 'sha1', 'sha384', 'sha512'] as const;
export const PADDINGS = ['pkcs1', 'pss'] as const;
export const ENCODINGS = ['base64', 'base64url', 'hex'] as const;

export type SignatureHash = (typeof HASHES)[number];
export type SignaturePadding = (typeof PADDINGS)[number];
export type SignatureEncoding = (typeof ENCODINGS)[number];

/** How a signature is made: RSA padding, digest, and how the signature bytes are written in the header. */
export interface SignatureScheme {
  readonly padding: SignaturePadding;
  readonly hash: SignatureHash;
  readonly encoding: SignatureEncoding;
}

/** Volt does not publish its scheme; RSA PKCS#1 v1.5 with SHA-256, base64, is the likely one. */
export const DEFAULT_SCHEME: SignatureScheme = { padding: 'pkcs1', hash: 'sha256', encoding: 'base64' };

/** The scheme's name in configuration and in `calibrate`'s output: `<padding>-<hash>-<encoding>`. */
export function formatScheme(scheme: SignatureScheme): string {
  return `${scheme.padding}-${scheme.hash}-${scheme.encoding}`;
}

/** Every scheme this project can verify, default first. */
export function allSchemes(): SignatureScheme[] {
  const schemes: SignatureScheme[] = [];
  for (const padding of PADDINGS)
    for (const hash of HASHES) for (const encoding of ENCODINGS) schemes.push({ padding, hash, encoding });
  return schemes;
}

/** Parses a scheme name such as `pkcs1-sha256-base64`; throws a clear {@link ConfigurationError}. */
export function parseScheme(name: string): SignatureScheme {
  const parts = name.trim().toLowerCase().split('-');
  const [padding, hash, encoding] = parts;
  const valid =
    parts.length === 3 &&
    (PADDINGS as readonly string[]).includes(padding ?? '') &&
    (HASHES as readonly string[]).includes(hash ?? '') &&
    (ENCODINGS as readonly string[]).includes(encoding ?? '');
  if (!valid) {
    throw new ConfigurationError(
      `signatureScheme "${name}" is not <padding>-<hash>-<encoding> with padding ${PADDINGS.join('|')}, ` +
        `hash ${HASHES.join('|')}, encoding ${ENCODINGS.join('|')} (e.g. ${formatScheme(DEFAULT_SCHEME)})`,
    );
  }
  return { padding, hash, encoding } as SignatureScheme;
}

const ALPHABETS: Record<SignatureEncoding, RegExp> = {
  base64: /^[A-Za-z0-9+/]+={0,2}$/,
  base64url: /^[A-Za-z0-9_-]+={0,2}$/,
  hex: /^(?:[0-9a-fA-F]{2})+$/,
};

/**
 * Decodes a header value strictly. Node's base64 decoder skips characters it does not know,
 * so the alphabet is checked first: a comma (two joined headers), a space inside, or a stray
 * character must reject, not verify by accident.
 */
export function decodeSignature(value: string, encoding: SignatureEncoding): Buffer | undefined {
  const text = value.trim();
  if (text === '' || !ALPHABETS[encoding].test(text)) return undefined;
  return Buffer.from(text, encoding === 'hex' ? 'hex' : encoding);
}

function paddingOptions(padding: SignaturePadding, forSigning: boolean): { padding: number; saltLength?: number } {
  if (padding === 'pkcs1') return { padding: constants.RSA_PKCS1_PADDING };
  return {
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: forSigning ? constants.RSA_PSS_SALTLEN_DIGEST : constants.RSA_PSS_SALTLEN_AUTO,
  };
}

/** True when one of `keys` verifies `signature` (already decoded) over `body` under `scheme`. */
export function verifyDecoded(
  body: Uint8Array,
  signature: Uint8Array,
  keys: readonly KeyObject[],
  scheme: SignatureScheme,
): boolean {
  // PKCS#1 v1.5 is what an RSA KeyObject verifies with by default. Given the KeyObject itself,
  // Node 24 verifies in half the time it takes when given an options object `{ key, padding }`
  // (about 44 against 88 µs here; Node 20 shows no difference): docs/performance.md.
  const options = scheme.padding === 'pkcs1' ? undefined : paddingOptions(scheme.padding, false);
  for (const key of keys) {
    // An RSA signature is exactly as long as the modulus; anything else cannot verify.
    const bytes = (key.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
    if (signature.length !== bytes) continue;
    if (verify(scheme.hash, body, options ? { key, ...options } : key, signature)) return true;
  }
  return false;
}

/**
 * Verifies a webhook's signature header over its raw body bytes. Throws
 * {@link SignatureRejectedError} (with a short `reason`) when it is missing or does not verify.
 */
export function verifySignature(
  body: Uint8Array,
  header: string | undefined,
  keys: readonly KeyObject[],
  scheme: SignatureScheme = DEFAULT_SCHEME,
): void {
  if (header === undefined || header.trim() === '') {
    throw new SignatureRejectedError('missing signature header', 'missing');
  }
  const signature = decodeSignature(header, scheme.encoding);
  if (signature === undefined) {
    throw new SignatureRejectedError(`signature is not valid ${scheme.encoding}`, 'malformed');
  }
  if (!verifyDecoded(body, signature, keys, scheme)) {
    throw new SignatureRejectedError('signature does not verify with any trusted key', 'mismatch');
  }
}

/**
 * Signs a body as Volt would, returning the `X-Respond-Flow-Signature` header value.
 * For tests, the local simulator, and anyone replaying a delivery they control.
 */
export function signBody(
  privateKey: KeyLike,
  body: Uint8Array | string,
  scheme: SignatureScheme = DEFAULT_SCHEME,
): string {
  const key = typeof privateKey === 'string' || Buffer.isBuffer(privateKey) ? createPrivateKey(privateKey) : privateKey;
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const signature = sign(scheme.hash, bytes, { key, ...paddingOptions(scheme.padding, true) });
  return signature.toString(scheme.encoding === 'hex' ? 'hex' : scheme.encoding);
}

/**
 * Lists every scheme under which `header` verifies `body` with one of `keys`. This is how an
 * operator finds Volt's real scheme from one captured delivery (`volt-webhooks calibrate`).
 */
export function findMatchingSchemes(body: Uint8Array, header: string, keys: readonly KeyObject[]): SignatureScheme[] {
  return allSchemes().filter((scheme) => {
    const signature = decodeSignature(header, scheme.encoding);
    return signature !== undefined && verifyDecoded(body, signature, keys, scheme);
  });
}
