import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/**
 * A tiny Secrets Manager stand-in speaking the AWS JSON 1.1 protocol (what the SDK v3 and the
 * AWS CLI send), so a function reads its secret with its normal client pointed at it through
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`. It keeps secrets in memory and signs nothing.
 */

interface StoredSecret {
  readonly name: string;
  readonly arn: string;
  value: string;
  versionId: string;
  readonly createdDate: number;
}

export interface SecretsStore {
  /** Adds or replaces a secret's string value. */
  put(name: string, value: string): { arn: string };
  get(nameOrArn: string): string | undefined;
  readonly handler: RequestListener;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

type Operation = (input: Record<string, unknown>) => Record<string, unknown>;

const NOT_FOUND = "Secrets Manager can't find the specified secret.";

/** The API actions, on a store of secrets found by name or ARN. */
function secretsOperations(
  find: (id: string) => StoredSecret | undefined,
  put: (name: string, value: string) => { arn: string },
): Record<string, Operation> {
  const existing = (input: Record<string, unknown>): StoredSecret => {
    const s = find(String(input['SecretId'] ?? ''));
    if (!s) throw new ServiceError('ResourceNotFoundException', NOT_FOUND);
    return s;
  };
  return {
    GetSecretValue: (input) => {
      const s = existing(input);
      return {
        ARN: s.arn,
        Name: s.name,
        SecretString: s.value,
        VersionId: s.versionId,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: s.createdDate,
      };
    },
    DescribeSecret: (input) => {
      const s = existing(input);
      return {
        ARN: s.arn,
        Name: s.name,
        CreatedDate: s.createdDate,
        VersionIdsToStages: { [s.versionId]: ['AWSCURRENT'] },
      };
    },
    CreateSecret: (input) => {
      const name = String(input['Name'] ?? '');
      if (!name) throw new ServiceError('InvalidParameterException', 'Name is required');
      if (find(name))
        throw new ServiceError(
          'ResourceExistsException',
          `The operation failed because the secret ${name} already exists.`,
        );
      const { arn } = put(name, String(input['SecretString'] ?? ''));
      return { ARN: arn, Name: name, VersionId: find(name)?.versionId };
    },
    PutSecretValue: (input) => {
      const s = existing(input);
      put(s.name, String(input['SecretString'] ?? ''));
      return { ARN: s.arn, Name: s.name, VersionId: s.versionId, VersionStages: ['AWSCURRENT'] };
    },
  };
}

/** Serves the operations over the AWS JSON 1.1 protocol: `X-Amz-Target: secretsmanager.<Action>`. */
function jsonProtocolHandler(operations: Record<string, Operation>): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: Record<string, unknown>) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
      res.end(JSON.stringify(body));
    };
    readBody(req)
      .then((text) => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const operation = operations[target.replace(/^secretsmanager\./, '')];
        if (req.method !== 'POST' || !operation) {
          throw new ServiceError(
            'UnknownOperationException',
            `the local Secrets Manager does not implement ${target || req.method}`,
          );
        }
        const input = text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
        send(200, operation(input));
      })
      .catch((err: unknown) => {
        if (err instanceof ServiceError) send(400, { __type: err.type, message: err.message });
        else send(500, { __type: 'InternalServiceError', message: err instanceof Error ? err.message : String(err) });
      });
  };
}

export function createSecretsStore(options: { region: string; accountId: string }): SecretsStore {
  const secrets = new Map<string, StoredSecret>();

  // Real ARNs end in a random 6-character suffix; callers may use the name, the full ARN, or the ARN without it.
  const find = (id: string): StoredSecret | undefined => {
    for (const s of secrets.values()) {
      if (s.name === id || s.arn === id || s.arn.slice(0, -7) === id) return s;
    }
    return undefined;
  };

  const put = (name: string, value: string): { arn: string } => {
    const existing = find(name);
    if (existing) {
      existing.value = value;
      existing.versionId = randomUUID();
      return { arn: existing.arn };
    }
    const suffix = randomUUID().replace(/-/g, '').slice(0, 6);
    const arn = `arn:aws:secretsmanager:${options.region}:${options.accountId}:secret:${name}-${suffix}`;
    secrets.set(name, { name, arn, value, versionId: randomUUID(), createdDate: Date.now() / 1000 });
    return { arn };
  };

  const operations: Record<string, Operation> = {
    ...secretsOperations(find, put),
    ListSecrets: () => ({
      SecretList: [...secrets.values()].map((s) => ({ ARN: s.arn, Name: s.name, CreatedDate: s.createdDate })),
    }),
  };
  return { put, get: (id) => find(id)?.value, handler: jsonProtocolHandler(operations) };
}
