import type { KeyObject } from 'node:crypto';
import { archiveRecordBytes, type ArchiveRecord } from '../../lambda/common/archive-record';
import { eventTypeOf, messageIdOf, parseEnvelope } from '../../lambda/common/envelope';
import { DomainError, SignatureRejectedError } from '../../lambda/common/errors';
import type { KeyRing } from '../../lambda/common/key-ring';
import { toSqsText, type QueueMessageAttributes } from '../../lambda/common/queue-message';
import { verifySignature, type SignatureScheme } from '../../lambda/common/signature';

/** A record replay will not send, and why. */
export interface RefusedRecord {
  readonly webhookId: string;
  readonly receivedAt: string;
  readonly reason: string;
}

/** The outcome of checking one archived record. */
export type CheckedRecord =
  | { readonly ok: true; readonly body: string; readonly attributes: QueueMessageAttributes }
  | { readonly ok: false; readonly refused: RefusedRecord };

/**
 * The message attributes the ingest gave the delivery, rebuilt from the archived body, not taken
 * from the record's own fields: the signature covers the body only, so ids and type read from
 * the body are the ones Volt vouched for. The record's fields must agree with them (as the
 * ingest wrote them, cleaned for SQS), else the record was altered after it was archived.
 */
export function attributesOf(record: ArchiveRecord): QueueMessageAttributes {
  const envelope = parseEnvelope(record.body);
  const attributes: QueueMessageAttributes = {
    webhookId: envelope.id,
    eventType: eventTypeOf(envelope),
    messageId: messageIdOf(envelope),
    receivedAt: record.receivedAt,
    signature: record.signature.trim(),
  };
  for (const field of ['webhookId', 'eventType', 'messageId'] as const) {
    const archived = record[field];
    if (archived !== attributes[field] && archived !== toSqsText(attributes[field]))
      throw new SignatureRejectedError(`the record's ${field} does not match its signed body`, 'fields');
  }
  if (Number.isNaN(Date.parse(record.receivedAt)))
    throw new SignatureRejectedError(`the record's receivedAt "${record.receivedAt}" is not a time`, 'fields');
  return attributes;
}

function refusal(record: ArchiveRecord, err: unknown): CheckedRecord {
  if (!(err instanceof DomainError)) throw err;
  return { ok: false, refused: { webhookId: record.webhookId, receivedAt: record.receivedAt, reason: err.message } };
}

/**
 * Checks archived records before they are sent again: the signature over the exact archived
 * bytes with the stack's trusted keys (the ingest's rule: on a failure a key URL is fetched
 * again at most once, for a key rotated since), then the fields against the body.
 * `keyRing` undefined skips the signature (`--no-verify`), never the field check.
 */
export class RecordChecker {
  private keys: readonly KeyObject[] | undefined;

  constructor(
    private readonly keyRing: KeyRing | undefined,
    private readonly scheme: SignatureScheme,
  ) {}

  async check(record: ArchiveRecord): Promise<CheckedRecord> {
    if (this.keyRing !== undefined) {
      const bytes = archiveRecordBytes(record);
      this.keys ??= await this.keyRing.current();
      try {
        verifySignature(bytes, record.signature, this.keys, this.scheme);
      } catch (err: unknown) {
        const refreshed = err instanceof SignatureRejectedError ? await this.keyRing.refreshAfterFailure() : undefined;
        if (refreshed === undefined) return refusal(record, err);
        this.keys = refreshed;
        try {
          verifySignature(bytes, record.signature, this.keys, this.scheme);
        } catch (again: unknown) {
          return refusal(record, again);
        }
      }
    }
    try {
      return { ok: true, body: record.body, attributes: attributesOf(record) };
    } catch (err: unknown) {
      return refusal(record, err);
    }
  }
}
