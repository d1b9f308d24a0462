import { CloudFormationClient, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DomainError } from '../../lambda/common/errors';
import { DEFAULT_VOLT_PUBLIC_KEY_URL, KeyRing } from '../../lambda/common/key-ring';
import { MIN_RSA_BITS, parsePublicKeyDocument, parsePublicKeyList } from '../../lambda/common/keys';
import { parseScheme, type SignatureScheme } from '../../lambda/common/signature';
import { INGEST_ENV } from '../../lambda/ingest/config';
import { SQS_TARGETS_ENV } from '../../lambda/ingest/targets/sqs';
import { CliError } from '../command';
import type { StackContext } from '../stack-context';

/** Where replay's trusted keys came from, for its summary. */
export interface TrustedKeys {
  readonly keyRing: KeyRing;
  readonly source: string;
  /** The deployed ingest's signature scheme, when its configuration was read and names one. */
  readonly scheme?: SignatureScheme;
}

/** The ingest function's key settings, as its environment holds them. */
export interface IngestKeySettings {
  readonly functionName: string;
  readonly publicKeys?: string;
  readonly publicKeyUrl?: string;
  readonly scheme?: string;
}

/** Reads a deployed stack's ingest key settings; tests replace it. */
export type ReadIngestSettings = (stackName: string, region: string | undefined) => Promise<IngestKeySettings>;

/**
 * The deployed ingest function's key settings: the stack's functions (CloudFormation
 * ListStackResources), and of those the one whose environment lists delivery targets
 * (lambda:GetFunctionConfiguration). Reading the function, not a copy of its settings in an
 * output, means replay trusts exactly what the ingest trusts, after any redeploy.
 */
export const readIngestSettings: ReadIngestSettings = async (stackName, region) => {
  const options = region !== undefined ? { region } : {};
  const cfn = new CloudFormationClient(options);
  const lambda = new LambdaClient(options);
  try {
    for await (const page of paginateListStackResources({ client: cfn }, { StackName: stackName })) {
      for (const resource of page.StackResourceSummaries ?? []) {
        if (resource.ResourceType !== 'AWS::Lambda::Function' || !resource.PhysicalResourceId) continue;
        const config = await lambda.send(
          new GetFunctionConfigurationCommand({ FunctionName: resource.PhysicalResourceId }),
        );
        const env = config.Environment?.Variables ?? {};
        if (env[SQS_TARGETS_ENV] === undefined) continue;
        const value = (name: string) => (env[name] !== undefined && env[name] !== '' ? env[name] : undefined);
        const publicKeys = value(INGEST_ENV.publicKeys);
        const publicKeyUrl = value(INGEST_ENV.publicKeyUrl);
        const scheme = value(INGEST_ENV.signatureScheme);
        return {
          functionName: resource.PhysicalResourceId,
          ...(publicKeys !== undefined ? { publicKeys } : {}),
          ...(publicKeyUrl !== undefined ? { publicKeyUrl } : {}),
          ...(scheme !== undefined ? { scheme } : {}),
        };
      }
    }
    throw new CliError(`stack "${stackName}" has no ingest function: pass --public-key or --key-url`);
  } finally {
    cfn.destroy();
    lambda.destroy();
  }
};

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
 *   a JWK or JWK set);
 * - `--key-url <url>`: fetched like the ingest's `voltPublicKeyUrl`;
 * - else the local stack's signing key (its public half), or for a deployed stack the ingest
 *   function's own configuration ({@link readIngestSettings}): its pinned keys, else its key
 *   URL, else Volt's published URL, the ingest's default.
 */
export async function trustedKeys(
  ctx: Pick<StackContext, 'kind' | 'local' | 'source' | 'region'>,
  options: {
    readonly publicKeyFile?: string;
    readonly keyUrl?: string;
    readonly readIngest?: ReadIngestSettings;
  },
): Promise<TrustedKeys> {
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
    const ingest = await (options.readIngest ?? readIngestSettings)(ctx.source, ctx.region);
    const scheme = ingest.scheme !== undefined ? { scheme: parseScheme(ingest.scheme) } : {};
    if (ingest.publicKeys !== undefined)
      return {
        keyRing: new KeyRing({
          pinned: parsePublicKeyList(ingest.publicKeys, `${ingest.functionName} ${INGEST_ENV.publicKeys}`),
        }),
        source: `the keys pinned on ${ingest.functionName}`,
        ...scheme,
      };
    const url = ingest.publicKeyUrl ?? DEFAULT_VOLT_PUBLIC_KEY_URL;
    return { keyRing: new KeyRing({ url }), source: `${url} (as ${ingest.functionName})`, ...scheme };
  } catch (err: unknown) {
    if (err instanceof DomainError) throw new CliError(err.message);
    throw err;
  }
}
