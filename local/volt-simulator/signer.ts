import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { DEFAULT_SCHEME, SIGNATURE_HEADER, signBody, type SignatureScheme } from '../../lambda/common/signature';
import { SimulatorStartError } from './errors';
import { toOpenSshRsa } from './ssh-key';

/**
 * How one outgoing request is signed. Deliveries and the registration's test request each pick
 * one, so a receiver can be shown a request signed another way, or not signed, by adding a variant here.
 */
export type RequestSigning =
  { readonly kind: 'signed'; readonly scheme: SignatureScheme } | { readonly kind: 'unsigned' };

/** What Volt is believed to do: the default scheme in `X-Respond-Flow-Signature`. */
export const SIGNED: RequestSigning = { kind: 'signed', scheme: DEFAULT_SCHEME };
export const UNSIGNED: RequestSigning = { kind: 'unsigned' };
/** A scheme other than the default, for a receiver configured with the default one: PSS, same hash and encoding. */
export const OTHER_SCHEME: SignatureScheme = { padding: 'pss', hash: 'sha256', encoding: 'base64' };

/** How the registration's test request is signed: the simulator's `probeMode`, and its CLI flags' values. */
export const PROBE_MODES = ['signed', 'unsigned', 'other-scheme'] as const;
export type ProbeMode = (typeof PROBE_MODES)[number];

export function probeSigning(mode: ProbeMode): RequestSigning {
  switch (mode) {
    case 'signed':
      return SIGNED;
    case 'unsigned':
      return UNSIGNED;
    case 'other-scheme':
      return { kind: 'signed', scheme: OTHER_SCHEME };
  }
}

/** Parses a probe mode given on a command line. */
export function parseProbeMode(text: string, flag: string): ProbeMode {
  if ((PROBE_MODES as readonly string[]).includes(text)) return text as ProbeMode;
  throw new Error(`${flag} must be one of ${PROBE_MODES.join(', ')}, got "${text}"`);
}

/** The simulator's RSA key: signs outgoing requests and gives its public half out. */
export class Signer {
  /** PKCS#8 PEM, for a receiver that trusts it or a test that signs by hand. */
  readonly privateKeyPem: string;
  /** One `ssh-rsa` line, the format of Volt's `id_rsa.pub`. */
  readonly publicKeyOpenSsh: string;

  constructor(private readonly privateKey: KeyObject) {
    this.privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    this.publicKeyOpenSsh = toOpenSshRsa(createPublicKey(privateKey), 'volt-simulator');
  }

  /** The headers that sign `body` as `signing` says; none for an unsigned request. */
  headersFor(body: string, signing: RequestSigning): Record<string, string> {
    switch (signing.kind) {
      case 'signed':
        return { [SIGNATURE_HEADER]: signBody(this.privateKey, body, signing.scheme) };
      case 'unsigned':
        return {};
    }
  }
}

/** Where the signing key comes from: PEM text, a PEM file, or neither for a fresh 2048-bit key. */
export interface SigningKeySource {
  readonly privateKeyPem?: string;
  readonly privateKeyFile?: string;
}

export async function loadSigningKey(source: SigningKeySource): Promise<KeyObject> {
  const key = await readOrGenerate(source);
  if (key.asymmetricKeyType !== 'rsa')
    throw new SimulatorStartError(`the signing key must be RSA, got ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

async function readOrGenerate(source: SigningKeySource): Promise<KeyObject> {
  if (source.privateKeyPem) return createPrivateKey(source.privateKeyPem);
  if (source.privateKeyFile) return createPrivateKey(readFileSync(source.privateKeyFile, 'utf8'));
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return privateKey;
}
