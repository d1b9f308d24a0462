import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parsePublicKeyDocument } from '../../lambda/common/keys';
import { findMatchingSchemes, formatScheme } from '../../lambda/common/signature';
import { CliError, UsageError, type CliCommand } from '../command';
import { settingHint } from '../hints';
import { STACK_OPTIONS, STACK_OPTIONS_HELP, stackOptionsFrom } from '../stack-context';
import { calibrateFromQuarantine } from './calibrate-quarantine';

export const calibrate: CliCommand = {
  name: 'calibrate',
  summary: 'find which signature scheme a captured Volt delivery uses',
  help: `Usage: volt-webhooks calibrate --body <file> --signature <header value> --key <file>
       volt-webhooks calibrate --from-quarantine [--key <file> | --key-url <url>] [--local | --stack <name>]

Tries every scheme this project supports (padding pkcs1|pss, hash sha1|sha256|sha384|sha512,
encoding base64|base64url|hex) on one captured delivery and prints those that verify.
Deploy with the one it prints: -c signatureScheme=<scheme>.

  --body <file>          the raw request body exactly as received (bytes, not re-formatted JSON)
  --signature <value>    the X-Respond-Flow-Signature header value as received
  --signature-file <f>   or read the header value from a file
  --key <file>           the public key: an ssh-rsa line (Volt's id_rsa.pub), PEM or JWK
  --json                 print JSON instead of text

  --from-quarantine      instead of --body/--signature: try the requests the stack rejected
                         (its quarantine queue; read without deleting). The key defaults to
                         Volt's key URL (locally, the simulator's key); --key-url picks another.
  --max <n>              at most n quarantined requests (default 10)

Exit code 0 when at least one scheme verifies, 1 when none does.

${STACK_OPTIONS_HELP}`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        body: { type: 'string' },
        signature: { type: 'string' },
        'signature-file': { type: 'string' },
        key: { type: 'string' },
        json: { type: 'boolean', default: false },
        'from-quarantine': { type: 'boolean', default: false },
        'key-url': { type: 'string' },
        max: { type: 'string', default: '10' },
        ...STACK_OPTIONS,
      },
      strict: true,
    });
    if (values['from-quarantine']) {
      const max = Number(values.max);
      if (!Number.isInteger(max) || max < 1 || max > 100)
        throw new UsageError('--max must be a whole number from 1 to 100');
      if (values.body || values.signature || values['signature-file'])
        throw new UsageError('--from-quarantine replaces --body and --signature');
      return calibrateFromQuarantine(
        {
          stack: stackOptionsFrom(values),
          max,
          json: values.json,
          ...(values.key ? { keyFile: values.key } : {}),
          ...(values['key-url'] ? { keyUrl: values['key-url'] } : {}),
        },
        io,
      );
    }
    if (!values.body || !values.key || (!values.signature && !values['signature-file'])) {
      throw new UsageError('--body, --key and one of --signature or --signature-file are required');
    }
    const read = (file: string, what: string): Buffer => {
      try {
        return readFileSync(file);
      } catch (err: unknown) {
        throw new CliError(`cannot read ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    };
    const body = read(values.body, 'body');
    const header =
      values.signature ??
      read(values['signature-file'] ?? '', 'signature')
        .toString('utf8')
        .trim();
    let keys;
    try {
      keys = parsePublicKeyDocument(read(values.key, 'key').toString('utf8'), values.key);
    } catch (err: unknown) {
      throw new CliError((err as Error).message);
    }
    const matches = findMatchingSchemes(body, header, keys).map(formatScheme);
    if (values.json) {
      io.out(JSON.stringify({ bodyBytes: body.length, keys: keys.length, matchingSchemes: matches }));
    } else if (matches.length === 0) {
      io.out(`No scheme verifies this delivery with the ${keys.length} key(s) in ${values.key}.`);
      io.out('Check that the body file holds the exact bytes received and that the key is the one Volt signs with.');
    } else {
      io.out(`Verifies with: ${matches.join(', ')}`);
      io.out(settingHint({ signatureScheme: matches[0] ?? '' }));
    }
    return matches.length > 0 ? 0 : 1;
  },
};
