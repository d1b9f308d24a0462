import { GetObjectCommand, ListObjectsV2Command, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type { KeyObject } from 'node:crypto';
import type { ArchiveRecord } from '../../lambda/common/archive-record';
import { signBody } from '../../lambda/common/signature';

/** A Volt-like webhook body for an archive record. */
export function webhookBody(webhookId: string, messageId: string, eventType: string): string {
  return JSON.stringify({
    id: webhookId,
    type: 'message',
    time: '2026-11-29T10:00:00Z',
    payload: { id: messageId, event_type: eventType, status: eventType === 'message.finalized' ? 'delivered' : 'sent' },
  });
}

/** An archive record signed with `privateKey`, as the archiver writes one for a verified delivery. */
export function signedRecord(
  privateKey: KeyObject,
  fields: { webhookId: string; messageId?: string; eventType?: string; receivedAt: string; body?: string },
): ArchiveRecord {
  const messageId = fields.messageId ?? `rf_${fields.webhookId}`;
  const eventType = fields.eventType ?? 'message.sent';
  const body = fields.body ?? webhookBody(fields.webhookId, messageId, eventType);
  return {
    webhookId: fields.webhookId,
    messageId,
    eventType,
    receivedAt: fields.receivedAt,
    signature: signBody(privateKey, body),
    body,
  };
}

/**
 * Makes `stub` answer ListObjectsV2 and GetObject from `objects` (key -> bytes), `pageSize`
 * keys per page, so that a small page size exercises pagination.
 */
export function answerFromArchive(
  stub: AwsClientStub<S3Client>,
  objects: ReadonlyMap<string, Uint8Array>,
  pageSize = 1000,
): void {
  stub.on(ListObjectsV2Command).callsFake((input: { Prefix?: string; ContinuationToken?: string }) => {
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort();
    const start = input.ContinuationToken === undefined ? 0 : Number(input.ContinuationToken);
    const page = keys.slice(start, start + pageSize);
    const more = start + pageSize < keys.length;
    return {
      Contents: page.map((Key) => ({ Key })),
      IsTruncated: more,
      ...(more ? { NextContinuationToken: String(start + pageSize) } : {}),
    };
  });
  stub.on(GetObjectCommand).callsFake((input: { Key?: string }) => {
    const bytes = objects.get(input.Key ?? '');
    if (bytes === undefined) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
    // Only the one method replay reads the body with; the SDK's stream type is not needed here.
    return {
      Body: { transformToByteArray: () => Promise.resolve(bytes) } as unknown as GetObjectCommandOutput['Body'],
    };
  });
}

/** An S3 client of its own answering from `objects` ({@link answerFromArchive}). */
export function mockArchiveBucket(
  objects: ReadonlyMap<string, Uint8Array>,
  pageSize = 1000,
): { s3: S3Client; stub: AwsClientStub<S3Client> } {
  const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const stub = mockClient(s3);
  answerFromArchive(stub, objects, pageSize);
  return { s3, stub };
}
