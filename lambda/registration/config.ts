/** Environment variable names, shared with the construct that sets them. */
export const REGISTRATION_ENV = {
  /** Name or ARN of the Secrets Manager secret holding Volt's API token (the id, never the token). */
  tokenSecretId: 'VOLT_API_TOKEN_SECRET_ID',
} as const;

/** The custom resource's property names, shared with the construct that sets them. */
export const REGISTRATION_PROPS = {
  webhookUrl: 'WebhookUrl',
  apiUrl: 'ApiUrl',
  primaryPhone: 'PrimaryPhone',
  eventTypes: 'EventTypes',
} as const;
