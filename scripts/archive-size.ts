/**
 * Bytes per archived delivery: the vendor-shaped stream of bench/events.ts, signed with an
 * RSA-2048 key, archived as the archiver writes it (gzipped NDJSON objects of `batch` records).
 * Feeds the storage figure of docs/archive.md. `npx tsx scripts/archive-size.ts [batch]`.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { encodeArchiveObject, type ArchiveRecord } from '../lambda/common/archive-record';
import { buildStream } from '../bench/events';

const batch = Number(process.argv[2] ?? 1000);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stream = buildStream({ outbound: 2000, inbound: 1000, duplicateRate: 0, order: { kind: 'swap', rate: 0 } });
const records: ArchiveRecord[] = stream.events.map((e, i) => ({
  webhookId: e.webhookId,
  messageId: e.messageId,
  eventType: (JSON.parse(e.body) as { payload: { event_type: string } }).payload.event_type,
  receivedAt: new Date(Date.UTC(2026, 10, 29, 21, 0, i % 3600)).toISOString(),
  signature: sign('sha256', Buffer.from(e.body), privateKey).toString('base64'),
  body: e.body,
}));
let raw = 0;
let gz = 0;
for (let i = 0; i < records.length; i += batch) {
  const slice = records.slice(i, i + batch);
  raw += slice.reduce((n, r) => n + Buffer.byteLength(r.body), 0);
  gz += encodeArchiveObject(slice).length;
}
const per = (n: number) => (n / records.length).toFixed(0);
console.log(
  `${records.length} deliveries in objects of ${batch}: body ${per(raw)} B each, archived ${per(gz)} B each (gzipped NDJSON with signature and ids)`,
);
