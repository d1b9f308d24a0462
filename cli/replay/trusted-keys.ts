import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DomainError } from '../../lambda/common/errors';
import { DEFAULT_VOLT_PUBLIC_KEY_URL, KeyRing } from '../../lambda/common/key-ring';
import { MIN_RSA_BITS, parsePublicKeyDocument } from '../../lambda/common/keys';
import { CliError } from '../command';
import type { StackContext } from '../stack-context';

/** Where replay's trusted keys came from, for its summary. */
export interface TrustedKeys {
  readonly keyRing: KeyRing;
  readonly source: string;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err: unknown) {
    throw new CliError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * The keys `replay` verifies archived signatures with, the ones the stack's ingest trusts:
 * - `--public-key <file>`: a key document as the ingest reads one (ssh-rsa lines, PEM blocks,
 *   a JWK or JWK set), for a stack that pins `voltPublicKeys`;
 * - `--key-url <url>`: fetched like the ingest's `voltPublicKeyUrl`;
 * - else the local stack's signing key (its public half), or for a deployed stack Volt's
 *   published key URL, which is what the ingest trusts unless keys are pinned.
 */
export function trustedKeys(
  ctx: Pick<StackContext, 'kind' | 'local'>,
  options: { readonly publicKeyFile?: string; readonly keyUrl?: string },
): TrustedKeys {
  try {
    if (options.publicKeyFile !== undefined) {
      const keys = parsePublicKeyDocument(readText(options.publicKeyFile, 'the key file'), options.publicKeyFile);
      return { keyRing: new KeyRing({ pinned: keys }), source: options.publicKeyFile };
    }
    if (options.keyUrl !== undefined) return { keyRing: new KeyRing({ url: options.keyUrl }), source: options.keyUrl };
    if (ctx.kind === 'local') {
      const file = ctx.local?.signingKeyFile;
      if (file === undefined) throw new CliError('the local stack file names no signingKeyFile: pass --public-key');
      const key = createPublicKey(readText(file, "the local stack's signing key"));
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS)
        throw new CliError(`the local signing key ${file} is shorter than ${MIN_RSA_BITS} bits`);
      return { keyRing: new KeyRing({ pinned: [key] }), source: `${file} (the local signing key)` };
    }
    return { keyRing: new KeyRing({ url: DEFAULT_VOLT_PUBLIC_KEY_URL }), source: DEFAULT_VOLT_PUBLIC_KEY_URL };
  } catch (err: unknown) {
    if (err instanceof DomainError) throw new CliError(err.message);
    throw err;
  }
}
