// The package entry: everything a team needs to add the pipeline to its own CDK app,
// the signing helpers for tests that send signed deliveries, and the queue-message helpers
// for subscribers that check a delivery's signature again.
export * from './constructs/delivery-archive';
export * from './constructs/durable-queue';
export * from './constructs/message-events';
export * from './constructs/message-store';
export * from './constructs/monitoring';
export * from './constructs/quarantine';
export * from './constructs/volt-function';
export * from './constructs/volt-webhook-pipeline';
export * from './constructs/webhook-ingest';
export * from './constructs/webhook-registration';
export * from './constructs/targets/ingest-target';
export * from './constructs/targets/sqs-target';
export { eventPatternProblems, matchesEventPattern } from './event-pattern';
export {
  DEFAULT_EVENT_SOURCE,
  STATUS_DETAIL_TYPES,
  STATUS_EVENT_SCHEMA,
  STATUS_EVENT_SCHEMA_VERSION,
  detailTypeOf,
} from '../lambda/common/status-events';
export type { MessageStatusEvent, MessageStatusEventDetail, StatusDetailType } from '../lambda/common/status-events';
export { InvalidPropsError, describeProblem, type Problem } from './validation';
export * from './config';
export * from './volt-webhooks-stack';
export * from './stack-outputs';
export {
  signBody,
  verifySignature,
  findMatchingSchemes,
  parseScheme,
  formatScheme,
  DEFAULT_SCHEME,
  SIGNATURE_HEADER,
} from '../lambda/common/signature';
export type { SignatureScheme } from '../lambda/common/signature';
export { parsePublicKey, parsePublicKeyDocument, parsePublicKeyList } from '../lambda/common/keys';
export {
  queueMessageBytes,
  decodeQueueBody,
  BODY_ENCODING_ATTRIBUTE,
  BASE64_BODY_ENCODING,
} from '../lambda/common/queue-message';
export type { QueueMessageAttributes } from '../lambda/common/queue-message';
export {
  decodeArchiveObject,
  archiveHourPrefixes,
  archiveRecordBytes,
  DEFAULT_ARCHIVE_PREFIX,
  ARCHIVE_RECORD_FIELDS,
} from '../lambda/common/archive-record';
export type { ArchiveRecord } from '../lambda/common/archive-record';
