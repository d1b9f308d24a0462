import { CloudFormationClient, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
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

/** The ingest function's key settings, as the deployed template sets its environment. */
export interface IngestKeySettings {
  /** The function's logical id in the template. */
  readonly functionId: string;
  readonly publicKeys?: string;
  readonly publicKeyUrl?: string;
  readonly scheme?: string;
}

/** Reads a deployed stack's ingest key settings; tests replace it. */
export type ReadIngestSettings = (stackName: string, region: string | undefined) => Promise<IngestKeySettings>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The ingest function's key settings in a template: the one function whose environment lists
 * delivery targets. A setting the template computes (an intrinsic function, not a string)
 * cannot be read here and is refused with what to pass instead.
 */
export function ingestSettingsOfTemplate(template: unknown, source: string): IngestKeySettings {
  const resources = isRecord(template) && isRecord(template['Resources']) ? template['Resources'] : {};
  for (const [functionId, resource] of Object.entries(resources)) {
    if (!isRecord(resource) || resource['Type'] !== 'AWS::Lambda::Function') continue;
    const properties = isRecord(resource['Properties']) ? resource['Properties'] : {};
    const environment = isRecord(properties['Environment']) ? properties['Environment'] : {};
    const variables = isRecord(environment['Variables']) ? environment['Variables'] : {};
    if (variables[SQS_TARGETS_ENV] === undefined) continue;
    const setting = (name: string): string | undefined => {
      const value = variables[name];
      if (value === undefined || value === '') return undefined;
      if (typeof value !== 'string')
        throw new CliError(
          `${source}: the ingest's ${name} is computed in the template: pass --public-key or --key-url`,
        );
      return value;
    };
    const publicKeys = setting(INGEST_ENV.publicKeys);
    const publicKeyUrl = setting(INGEST_ENV.publicKeyUrl);
    const scheme = setting(INGEST_ENV.signatureScheme);
    return {
      functionId,
      ...(publicKeys !== undefined ? { publicKeys } : {}),
      ...(publicKeyUrl !== undefined ? { publicKeyUrl } : {}),
      ...(scheme !== undefined ? { scheme } : {}),
    };
  }
  throw new CliError(`${source} has no ingest function: pass --public-key or --key-url`);
}

/**
 * The deployed ingest's key settings, from the stack's deployed template
 * (cloudformation:GetTemplate): what the ingest trusts after the last deploy. Read from the
 * template rather than the function (lambda:GetFunctionConfiguration), as the CLI already
 * carries the CloudFormation client and the Lambda client would add 180 KB to its one-file build.
 */
export const readIngestSettings: ReadIngestSettings = async (stackName, region) => {
  const cfn = new CloudFormationClient(region !== undefined ? { region } : {});
  try {
    const { TemplateBody } = await cfn.send(
      new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Processed' }),
    );
    let template: unknown;
    try {
      template = JSON.parse(TemplateBody ?? '');
    } catch {
      throw new CliError(`the template of stack "${stackName}" is not JSON: pass --public-key or --key-url`);
    }
    return ingestSettingsOfTemplate(template, `stack "${stackName}"`);
  } finally {
    cfn.destroy();
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
 * - else the local stack's signing key (its public half), or for a deployed stack what its
 *   template gives the ingest ({@link readIngestSettings}): its pinned keys, else its key URL,
 *   else Volt's published URL, the ingest's default.
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
          pinned: parsePublicKeyList(ingest.publicKeys, `${ingest.functionId} ${INGEST_ENV.publicKeys}`),
        }),
        source: `the keys pinned on the stack's ingest (${ingest.functionId})`,
        ...scheme,
      };
    const url = ingest.publicKeyUrl ?? DEFAULT_VOLT_PUBLIC_KEY_URL;
    return { keyRing: new KeyRing({ url }), source: `${url} (the stack's ingest, ${ingest.functionId})`, ...scheme };
  } catch (err: unknown) {
    if (err instanceof DomainError) throw new CliError(err.message);
    throw err;
  }
}
