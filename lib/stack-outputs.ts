/**
 * The stack's output ids: a contract read by users' scripts, the CLI (`cli/`) and the local
 * runner (`local/`). Defined once here; change them only on purpose.
 */
export const STACK_OUTPUTS = {
  webhookUrl: 'WebhookUrl',
  quarantineQueueUrl: 'QuarantineQueueUrl',
  tableName: 'TableName',
  tableArn: 'TableArn',
  voltWebhookId: 'VoltWebhookId',
  voltProbeSignature: 'VoltProbeSignature',
  alarmTopicArn: 'AlarmTopicArn',
  dashboardName: 'DashboardName',
  dashboardUrl: 'DashboardUrl',
  eventBusName: 'EventBusName',
  eventBusArn: 'EventBusArn',
  eventArchiveName: 'EventArchiveName',
  eventSchemaRegistryName: 'EventSchemaRegistryName',
  unpublishedEventsQueueUrl: 'UnpublishedEventsQueueUrl',
  archiveBucketName: 'ArchiveBucketName',
  archivePrefix: 'ArchivePrefix',
  archiveTable: 'ArchiveTable',
} as const;

/** The prefix of the state queue's four outputs (`StateQueueUrl`, `StateDlqArn`, ...). */
export const STATE_QUEUE_OUTPUT_PREFIX = 'State';

/**
 * PascalCase of a name for CloudFormation ids (`crm-sync` -> `CrmSync`): letters and digits
 * only, so it is also a valid part of an output or alarm id.
 */
export function pascalCaseId(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** The prefix of a subscriber queue's four outputs (`crm-sync` -> `SubscriberCrmSync`). */
export function subscriberOutputPrefix(name: string): string {
  return `Subscriber${pascalCaseId(name)}`;
}

/**
 * The output listing a subscriber's event types (comma-separated), present only for a subscriber
 * that takes some types: `replay --to <subscriber>` sends it only those, as the ingest would.
 */
export function subscriberEventTypesOutputId(name: string): string {
  return `${subscriberOutputPrefix(name)}EventTypes`;
}

/** The prefix of an event rule queue's four outputs (`failures` -> `EventRuleFailures`). */
export function eventRuleOutputPrefix(name: string): string {
  return `EventRule${pascalCaseId(name)}`;
}

/** The four output ids of a durable queue (queue and DLQ, URL and ARN) under a prefix. */
export function queueOutputIds(prefix: string): {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
} {
  return {
    queueUrl: `${prefix}QueueUrl`,
    queueArn: `${prefix}QueueArn`,
    dlqUrl: `${prefix}DlqUrl`,
    dlqArn: `${prefix}DlqArn`,
  };
}
