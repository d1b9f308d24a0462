import { Logger } from '@aws-lambda-powertools/logger';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { optionalEnv, requireEnv } from '../common/env';
import {
  parseProbeOutcome,
  REGISTRATION_WINDOW_ENV,
  WINDOW_EXPIRES_AT_ATTRIBUTE,
  WINDOW_ITEM_KEY,
  WINDOW_KEY_ATTRIBUTE,
  WINDOW_OPEN_UNTIL_ATTRIBUTE,
  WINDOW_PROBE_ATTRIBUTE,
} from '../common/registration-window';
import { REGISTRATION_ENV } from './config';
import { handleRegistrationEvent, waitForEndpoint, type OnEventResult, type RegistrationWindow } from './registration';
import { parseTokenSecret, TokenSecretError } from './token';
import { VoltClient } from './volt-api';

const logger = new Logger({ serviceName: 'volt-webhooks-registration' });
const secrets = new SecretsManagerClient({});
const tokenSecretId = requireEnv(REGISTRATION_ENV.tokenSecretId);
const windowTable = optionalEnv(REGISTRATION_WINDOW_ENV);

/** The registration window as one item in its table (lambda/common/registration-window.ts). */
function dynamoWindow(tableName: string): RegistrationWindow {
  const dynamodb = new DynamoDBClient({});
  const Key = { [WINDOW_KEY_ATTRIBUTE]: { S: WINDOW_ITEM_KEY } };
  return {
    open: async (untilMs) => {
      // A put, not an update: a reopened window forgets the probe of an earlier attempt.
      await dynamodb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            ...Key,
            [WINDOW_OPEN_UNTIL_ATTRIBUTE]: { N: String(untilMs) },
            [WINDOW_EXPIRES_AT_ATTRIBUTE]: { N: String(Math.ceil(untilMs / 1000) + 3600) },
          },
        }),
      );
    },
    probe: async () => {
      const { Item } = await dynamodb.send(new GetItemCommand({ TableName: tableName, Key, ConsistentRead: true }));
      return parseProbeOutcome(Item?.[WINDOW_PROBE_ATTRIBUTE]?.S);
    },
    close: async () => {
      await dynamodb.send(new DeleteItemCommand({ TableName: tableName, Key }));
    },
  };
}
const registrationWindow = windowTable !== undefined ? dynamoWindow(windowTable) : undefined;

/** Time kept back from the function's timeout to answer the Provider framework with a clear error. */
const ANSWER_MARGIN_MS = 10_000;

/**
 * Read per invocation rather than cached: a deploy is rare, and a rotated or renewed token
 * (Volt's tokens expire) then takes effect without a cold start.
 */
async function readToken(): Promise<string> {
  let secretString: string | undefined;
  try {
    const secret = await secrets.send(new GetSecretValueCommand({ SecretId: tokenSecretId }));
    secretString = secret.SecretString;
  } catch (err: unknown) {
    const name = err instanceof Error ? err.name : 'Error';
    const message = err instanceof Error ? err.message : String(err);
    throw new TokenSecretError(`cannot read the Volt API token from secret ${tokenSecretId}: ${name}: ${message}`);
  }
  return parseTokenSecret(secretString, tokenSecretId);
}

/** onEvent of the custom-resources Provider for `Custom::VoltWebhookRegistration`. */
export const handler = async (
  event: CloudFormationCustomResourceEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<OnEventResult> => {
  const deadline = Date.now() + Math.max(5_000, context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS);
  // The event holds no secret: the token lives in Secrets Manager and is read below. ResponseURL is left out of logs.
  logger.info('registration request', {
    requestType: event.RequestType,
    logicalResourceId: event.LogicalResourceId,
    physicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : undefined,
    properties: { ...event.ResourceProperties, ServiceToken: undefined },
  });
  const token = await readToken();
  try {
    const outcome = await handleRegistrationEvent(event, {
      clientFor: (apiUrl) =>
        new VoltClient({
          apiUrl,
          token,
          retry: { deadline },
          onRetry: ({ attempt, delayMs, reason }) =>
            logger.warn('Volt API call failed, retrying', { attempt, delayMs, reason }),
        }),
      log: {
        info: (message, extra) => logger.info(message, extra ?? {}),
        warn: (message, extra) => logger.warn(message, extra ?? {}),
      },
      deadline,
      ...(registrationWindow ? { window: registrationWindow } : {}),
      waitForEndpoint: (url, until) => waitForEndpoint(url, until),
    });
    logger.info('registration done', { physicalResourceId: outcome.PhysicalResourceId });
    return outcome;
  } catch (err: unknown) {
    // The message reaches the CloudFormation event through the Provider framework, so it names what failed.
    logger.error('registration failed', {
      error: err instanceof Error ? { name: err.name, message: err.message } : String(err),
    });
    throw err;
  }
};
