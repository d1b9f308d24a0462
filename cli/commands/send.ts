import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseArgs } from 'node:util';
import { E164_EXAMPLE, isE164, isWebUrl } from '../../lambda/common/formats';
import { parseTokenSecret, TokenSecretError } from '../../lambda/registration/token';
import { DEFAULT_VOLT_API_URL, VoltApiError, VoltClient } from '../../lambda/registration/volt-api';
import { DEFAULT_SIMULATOR_TOKEN } from '../../local/volt-simulator/defaults';
import { CliError, UsageError, type CliCommand } from '../command';
import { cliHint, CLI_COMMAND, type StackSelection } from '../hints';
import { explainAwsError, resolveStackContext } from '../stack-context';

/** The environment variable read for the token when no --token-env or --token-secret is given. */
export const DEFAULT_TOKEN_ENV = 'VOLT_API_TOKEN';

async function tokenFromSecret(secretId: string, region: string | undefined): Promise<string> {
  const client = new SecretsManagerClient(region ? { region } : {});
  try {
    const secret = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    return parseTokenSecret(secret.SecretString, secretId);
  } catch (err: unknown) {
    if (err instanceof TokenSecretError) throw new CliError(err.message);
    const explained = explainAwsError(err);
    if (explained instanceof CliError) throw explained;
    throw new CliError(
      `cannot read secret ${secretId}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
    );
  } finally {
    client.destroy();
  }
}

function tokenFromEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export const send: CliCommand = {
  name: 'send',
  summary: 'send a test SMS through Volt (or the local simulator) and print its message id',
  help: `Usage: volt-webhooks send --to <E.164> --from <E.164> --body <text> [--media <url>]...
                          [--local | --api-url <url>] [--token-env <VAR> | --token-secret <name>]

Calls Volt's createMessage and prints the new message's id (rf_...), and the command that
follows its webhooks arriving: \`${CLI_COMMAND} status <id>\`. It is not retried: a request that
timed out may still have sent the message.

  --to <number>          recipient, E.164 (+15555550123)
  --from <number>        one of your organization's numbers, E.164
  --body <text>          the message text
  --media <url>          an attachment URL (repeatable; makes it an MMS)
  --local                send through the local stack's Volt simulator (voltApiUrl in .local/stack.json);
                         the token defaults to the simulator's ${DEFAULT_SIMULATOR_TOKEN}
  --local-file <file>    the local stack's file instead of .local/stack.json
  --api-url <url>        Volt's GraphQL endpoint (default ${DEFAULT_VOLT_API_URL})
  --token-env <VAR>      read the API token from this environment variable (default ${DEFAULT_TOKEN_ENV})
  --token-secret <name>  read it from this Secrets Manager secret (the bare token or {"token":"..."})
  --region <region>      the secret's region (default: from AWS_REGION or your AWS profile)
  --json                 print the created message as JSON

The simulator's failing recipients (+15555550666 spam, +15555550667 opt-out, +15555550668 expiry)
make a message end as failed.`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        to: { type: 'string' },
        from: { type: 'string' },
        body: { type: 'string' },
        media: { type: 'string', multiple: true },
        local: { type: 'boolean', default: false },
        'local-file': { type: 'string' },
        'api-url': { type: 'string' },
        'token-env': { type: 'string' },
        'token-secret': { type: 'string' },
        region: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const { to, from, body } = values;
    const media = values.media ?? [];
    if (to === undefined || from === undefined || (body === undefined && media.length === 0)) {
      throw new UsageError('--to, --from and --body are required');
    }
    if (!isE164(to)) throw new UsageError(`--to "${to}" is not an E.164 number like ${E164_EXAMPLE}`);
    if (!isE164(from)) throw new UsageError(`--from "${from}" is not an E.164 number like ${E164_EXAMPLE}`);
    const local = values.local || values['local-file'] !== undefined;
    if (local && values['api-url'] !== undefined) throw new UsageError('--local and --api-url exclude each other');
    if (values['token-env'] !== undefined && values['token-secret'] !== undefined)
      throw new UsageError('--token-env and --token-secret exclude each other');

    // The stack `status` should look in: the local one, or the deployed one in the secret's region.
    const selection: StackSelection = local
      ? values['local-file'] !== undefined
        ? { localFile: values['local-file'] }
        : { local: true }
      : values.region !== undefined
        ? { region: values.region }
        : {};
    let apiUrl = values['api-url'] ?? DEFAULT_VOLT_API_URL;
    if (local) {
      const ctx = await resolveStackContext({
        local: true,
        ...(values['local-file'] !== undefined ? { localFile: values['local-file'] } : {}),
      });
      const fromFile = ctx.local?.voltApiUrl;
      if (typeof fromFile !== 'string' || fromFile === '')
        throw new CliError(`${ctx.source} has no voltApiUrl: restart the local stack with this version`);
      apiUrl = fromFile;
    }
    if (!isWebUrl(apiUrl)) throw new UsageError(`--api-url "${apiUrl}" is not an http(s) URL`);

    let token: string | undefined;
    if (values['token-secret'] !== undefined) {
      token = await tokenFromSecret(values['token-secret'], values.region);
    } else {
      const variable = values['token-env'] ?? DEFAULT_TOKEN_ENV;
      token = tokenFromEnv(variable);
      if (token === undefined && values['token-env'] !== undefined)
        throw new CliError(`environment variable ${variable} is not set`);
      if (token === undefined && local) token = DEFAULT_SIMULATOR_TOKEN;
      if (token === undefined) {
        throw new CliError(
          `no Volt API token: set ${DEFAULT_TOKEN_ENV}, or pass --token-env <VAR> or --token-secret <secret name>`,
        );
      }
    }

    // One attempt: createMessage is not idempotent, so a retry after a lost answer could send twice.
    const client = new VoltClient({ apiUrl, token, retry: { maxAttempts: 1, requestTimeoutMs: 15_000 } });
    let message;
    try {
      message = await client.createMessage({ to, from, body: body ?? '', media });
    } catch (err: unknown) {
      if (err instanceof VoltApiError) {
        const check = local
          ? 'is `npm start` running?'
          : 'check --api-url and your network, or use --local for the local stack';
        // No answer at all (as opposed to Volt refusing): say where to look.
        throw new CliError(err.status === undefined && err.retryable ? `${err.message}: ${check}` : err.message);
      }
      throw err;
    }
    if (values.json) {
      io.out(JSON.stringify(message, null, 2));
    } else {
      io.out(`Created message ${message.id} (${message.status ?? 'status unknown'}): ${from} -> ${to}`);
      io.out(`Follow its status: ${cliHint(['status', message.id], selection)}`);
    }
    return 0;
  },
};
