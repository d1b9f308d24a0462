import { optionalEnv, requireEnv } from '../common/env';
import { ConfigurationError } from '../common/errors';

/** Environment variable names, shared with the construct that sets them. */
export const CONSUMER_ENV = {
  tableName: 'TABLE_NAME',
  retentionDays: 'MESSAGE_RETENTION_DAYS',
  /** Set only when the stack archives deliveries: the queue every received delivery is forwarded to. */
  archiveQueueUrl: 'ARCHIVE_QUEUE_URL',
} as const;

export interface ConsumerConfig {
  readonly tableName: string;
  /** Days an item lives after its last event; no TTL when absent. */
  readonly retentionDays?: number;
  /** The archive queue to forward each delivery to; no forward when absent (the archive is off). */
  readonly archiveQueueUrl?: string;
}

/** Reads and validates the consumer's configuration; called once, at cold start. */
export function loadConsumerConfig(env: NodeJS.ProcessEnv = process.env): ConsumerConfig {
  const tableName = requireEnv(CONSUMER_ENV.tableName, env);
  const archiveQueueUrl = optionalEnv(CONSUMER_ENV.archiveQueueUrl, env);
  const archive = archiveQueueUrl !== undefined ? { archiveQueueUrl } : {};
  const retentionText = optionalEnv(CONSUMER_ENV.retentionDays, env);
  if (retentionText === undefined) return { tableName, ...archive };
  const retentionDays = Number(retentionText);
  if (!Number.isInteger(retentionDays) || retentionDays <= 0) {
    throw new ConfigurationError(
      `${CONSUMER_ENV.retentionDays} must be a positive whole number, got "${retentionText}"`,
    );
  }
  return { tableName, retentionDays, ...archive };
}
