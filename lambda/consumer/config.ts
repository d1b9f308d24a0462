import { optionalEnv, requireEnv } from '../common/env';
import { ConfigurationError } from '../common/errors';

/** Environment variable names, shared with the construct that sets them. */
export const CONSUMER_ENV = {
  tableName: 'TABLE_NAME',
  retentionDays: 'MESSAGE_RETENTION_DAYS',
} as const;

export interface ConsumerConfig {
  readonly tableName: string;
  /** Days an item lives after its last event; no TTL when absent. */
  readonly retentionDays?: number;
}

/** Reads and validates the consumer's configuration; called once, at cold start. */
export function loadConsumerConfig(env: NodeJS.ProcessEnv = process.env): ConsumerConfig {
  const tableName = requireEnv(CONSUMER_ENV.tableName, env);
  const retentionText = optionalEnv(CONSUMER_ENV.retentionDays, env);
  if (retentionText === undefined) return { tableName };
  const retentionDays = Number(retentionText);
  if (!Number.isInteger(retentionDays) || retentionDays <= 0) {
    throw new ConfigurationError(
      `${CONSUMER_ENV.retentionDays} must be a positive whole number, got "${retentionText}"`,
    );
  }
  return { tableName, retentionDays };
}
