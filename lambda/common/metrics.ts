/**
 * Where the functions' custom metrics go. Each stack gets its own namespace, so two deployments
 * in one account and region never mix their counts or trip each other's alarms.
 */
export const METRICS_NAMESPACE_ENV = 'POWERTOOLS_METRICS_NAMESPACE';

/** Used when the function runs without the variable (unit tests). */
export const DEFAULT_METRICS_NAMESPACE = 'VoltWebhooks';

export function metricsNamespaceFor(stackName: string): string {
  return `${DEFAULT_METRICS_NAMESPACE}/${stackName}`;
}

/**
 * The `service` dimension every custom metric carries (Powertools Metrics adds it from
 * `serviceName`): alarms and the dashboard select on it.
 */
export const SERVICE_DIMENSION = 'service';
export const METRICS_SERVICE = {
  ingest: 'ingest',
  consumer: 'consumer',
  publisher: 'publisher',
  archiver: 'archiver',
} as const;

/** The ingest function's custom metrics (Count), a contract with the alarms and the dashboard. */
export const INGEST_METRICS = {
  /** A request answered 4xx, in its own line with a `reason` dimension. */
  rejected: 'Rejected',
  signatureRejected: 'SignatureRejected',
  /** A delivery target (any kind; the name dates from when every target was a queue) refused the event: 503. */
  enqueueFailed: 'EnqueueFailed',
  keysUnavailable: 'KeysUnavailable',
  quarantined: 'Quarantined',
  quarantineDropped: 'QuarantineDropped',
  quarantineFailed: 'QuarantineFailed',
  ingestError: 'IngestError',
  /** Volt's test request answered 2xx inside the registration window (delivered nowhere). */
  registrationProbe: 'RegistrationProbe',
  /** One of our own checks (readiness, `doctor`), answered 401 and kept out of the quarantine. */
  selfCheck: 'SelfCheck',
} as const;

/** The dimension of `Rejected` naming why. */
export const REJECTED_REASON_DIMENSION = 'reason';

/** The consumer's custom metrics: counts per record (and per forwarded delivery), and `ConsumerLag` in milliseconds. */
export const CONSUMER_METRICS = {
  stateChanged: 'StateChanged',
  stale: 'Stale',
  historyOnly: 'HistoryOnly',
  duplicate: 'Duplicate',
  /** A newer event applied to a message whose history was full: its history entry was left out. */
  historyDropped: 'HistoryDropped',
  consumerLag: 'ConsumerLag',
  recordFailed: 'RecordFailed',
  /** Deliveries forwarded to the archive queue (docs/archive.md). */
  archiveForwarded: 'ArchiveForwarded',
  /** Deliveries the archive queue did not take: reported failed, so SQS delivers them again. */
  archiveForwardFailed: 'ArchiveForwardFailed',
} as const;

/**
 * The status-event publisher's custom metrics (Count). Only what went wrong is counted: an
 * invocation that put every event emits no metric line (EventBridge counts what arrives on the
 * bus, and Lambda the invocations), so the log volume does not grow with every status change.
 */
export const PUBLISHER_METRICS = {
  /** Entries EventBridge refused (or calls that failed) that were sent again. */
  eventsResent: 'EventsResent',
  /** Batches left for Lambda to retry because entries stayed refused. */
  publishFailed: 'PublishFailed',
} as const;

/** The archiver's custom metrics (Count): deliveries written to the archive, and those left for retry. */
export const ARCHIVER_METRICS = {
  archived: 'Archived',
  /** Deliveries of a batch whose object S3 did not store (or that could not be read): SQS delivers them again. */
  archiveFailed: 'ArchiveFailed',
} as const;
