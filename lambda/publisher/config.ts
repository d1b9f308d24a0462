import { requireEnv } from '../common/env';

/** Environment variable names, shared with the construct that sets them. */
export const PUBLISHER_ENV = {
  /** The bus's name or ARN (PutEvents takes either). */
  eventBus: 'EVENT_BUS',
  source: 'EVENT_SOURCE',
} as const;

export interface PublisherConfig {
  readonly eventBus: string;
  readonly source: string;
}

/** Reads the publisher's configuration; called once, at cold start. */
export function loadPublisherConfig(env: NodeJS.ProcessEnv = process.env): PublisherConfig {
  return { eventBus: requireEnv(PUBLISHER_ENV.eventBus, env), source: requireEnv(PUBLISHER_ENV.source, env) };
}
