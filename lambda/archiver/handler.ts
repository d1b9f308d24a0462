import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { optionalEnv } from '../common/env';
import { ARCHIVER_METRICS, DEFAULT_METRICS_NAMESPACE, METRICS_NAMESPACE_ENV, METRICS_SERVICE } from '../common/metrics';
import { archiveBatch } from './archive';
import { loadArchiverConfig } from './config';

// The batch is handled as a whole, not by Powertools' per-record batch processor: its records
// are written together, one object per receive hour.
const logger = new Logger({ serviceName: 'volt-webhooks-archiver' });
const metrics = new Metrics({
  namespace: optionalEnv(METRICS_NAMESPACE_ENV) ?? DEFAULT_METRICS_NAMESPACE,
  serviceName: METRICS_SERVICE.archiver,
});
const s3 = new S3Client({});
const config = loadArchiverConfig();

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const { written, failed } = await archiveBatch(event.Records, {
    prefix: config.prefix,
    putObject: ({ key, body, contentMd5 }) =>
      s3.send(
        new PutObjectCommand({
          Bucket: config.bucket,
          Key: key,
          Body: body,
          ContentMD5: contentMd5,
          // Not `Content-Encoding: gzip`: HTTP clients would unzip it on download, and readers expect the object's bytes.
          ContentType: 'application/gzip',
        }),
      ),
  });
  const archived = written.reduce((n, o) => n + o.records, 0);
  for (const object of written) logger.info('archive object written', { ...object });
  // Ids and the reason only: never the body.
  for (const f of failed) logger.error('delivery not archived, left for retry and the DLQ', { ...f });
  if (archived > 0) metrics.addMetric(ARCHIVER_METRICS.archived, MetricUnit.Count, archived);
  if (failed.length > 0) metrics.addMetric(ARCHIVER_METRICS.archiveFailed, MetricUnit.Count, failed.length);
  if (archived > 0 || failed.length > 0) metrics.publishStoredMetrics();
  return { batchItemFailures: failed.map((f) => ({ itemIdentifier: f.sqsMessageId })) };
};
