import fc from 'fast-check';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  archiveHourPath,
  archiveHourPrefixes,
  archiveLine,
  archiveObjectKey,
  archiveRecordBytes,
  decodeArchiveObject,
  DEFAULT_ARCHIVE_PREFIX,
  encodeArchiveObject,
  groupByHour,
  type ArchiveRecord,
} from '../../../../lambda/common/archive-record';
import { InvalidEventError } from '../../../../lambda/common/errors';

const record = (overrides: Partial<ArchiveRecord> = {}): ArchiveRecord => ({
  webhookId: 'rfw_1',
  messageId: 'rf_1',
  eventType: 'message.sent',
  receivedAt: '2026-11-29T20:15:00.123Z',
  signature: 'sig==',
  body: '{"id":"rfw_1"}',
  ...overrides,
});

describe('archive objects', () => {
  it('round-trip any well-formed body text byte for byte, one line per record', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' }), { minLength: 1, maxLength: 5 }), (bodies) => {
        const records = bodies.map((body, i) => record({ webhookId: `rfw_${i}`, body }));
        const object = encodeArchiveObject(records);
        expect(gunzipSync(object).toString('utf8').split('\n')).toHaveLength(records.length + 1);
        const back = decodeArchiveObject(object);
        expect(back).toEqual(records);
        back.forEach((r, i) => expect(archiveRecordBytes(r).equals(Buffer.from(bodies[i]!, 'utf8'))).toBe(true));
      }),
    );
  });

  it('keep the characters SQS refuses and the line separators on one line', () => {
    const body = '{"text":"a\uFFFE\uFFFF\u2028b\\u0001"}';
    const line = archiveLine(record({ body }));
    expect(line).not.toContain('\n');
    expect(decodeArchiveObject(encodeArchiveObject([record({ body })]))[0]!.body).toBe(body);
  });

  it('write the fields in the documented order', () => {
    expect(Object.keys(JSON.parse(archiveLine(record())) as object)).toEqual([
      'webhookId',
      'messageId',
      'eventType',
      'receivedAt',
      'signature',
      'body',
    ]);
  });

  it('refuse what is not gzip, and name the line that is not a record', () => {
    expect(() => decodeArchiveObject(Buffer.from('plain'), 'k')).toThrow(new InvalidEventError('k: not gzip'));
    const bad = gzipSync(`${archiveLine(record())}\n{"webhookId":1}\n`);
    expect(() => decodeArchiveObject(bad, 'k')).toThrow(/k line 2: "webhookId" is not a string/);
    expect(() => decodeArchiveObject(gzipSync('[1]\n'), 'k')).toThrow(/k line 1: not a JSON object/);
    expect(() => decodeArchiveObject(gzipSync('{\n'), 'k')).toThrow(/k line 1: not JSON/);
  });

  it('read an empty object as no records', () => {
    expect(decodeArchiveObject(encodeArchiveObject([]))).toEqual([]);
  });
});

describe('archive keys', () => {
  it('partition by the UTC hour, zero-padded', () => {
    expect(archiveHourPath(new Date('2026-01-02T03:59:59.999Z'))).toBe('2026/01/02/03/');
    expect(archiveHourPath(new Date('2026-01-02T04:00:00+02:00'))).toBe('2026/01/02/02/');
  });

  it('name a batch by its message ids, in any order, and differently for another batch', () => {
    const hour = new Date('2026-11-29T20:00:00Z');
    const a = archiveObjectKey(DEFAULT_ARCHIVE_PREFIX, hour, ['m1', 'm2']);
    expect(a).toMatch(/^deliveries\/2026\/11\/29\/20\/[0-9a-f]{32}\.ndjson\.gz$/);
    expect(archiveObjectKey(DEFAULT_ARCHIVE_PREFIX, hour, ['m2', 'm1'])).toBe(a);
    expect(archiveObjectKey(DEFAULT_ARCHIVE_PREFIX, hour, ['m1', 'm3'])).not.toBe(a);
  });

  it('list every hour a window touches, and none outside it', () => {
    expect(archiveHourPrefixes('p/', new Date('2026-11-29T22:30:00Z'), new Date('2026-11-30T01:00:00Z'))).toEqual([
      'p/2026/11/29/22/',
      'p/2026/11/29/23/',
      'p/2026/11/30/00/',
    ]);
    expect(archiveHourPrefixes('p/', new Date('2026-11-29T22:30:00Z'), new Date('2026-11-29T22:30:00.001Z'))).toEqual([
      'p/2026/11/29/22/',
    ]);
    expect(archiveHourPrefixes('p/', new Date('2026-11-29T22:30:00Z'), new Date('2026-11-29T22:30:00Z'))).toEqual([]);
  });

  it('group records by the hour they were received, an unreadable time under the fallback hour', () => {
    const groups = groupByHour(
      [
        record({ webhookId: 'a', receivedAt: '2026-11-29T20:59:59.999Z' }),
        record({ webhookId: 'b', receivedAt: '2026-11-29T21:00:00.000Z' }),
        record({ webhookId: 'c', receivedAt: 'yesterday' }),
      ],
      new Date('2026-11-29T20:10:00Z'),
    );
    expect([...groups.entries()].map(([k, g]) => [k, g.records.map((r) => r.webhookId)])).toEqual([
      ['2026/11/29/20/', ['a', 'c']],
      ['2026/11/29/21/', ['b']],
    ]);
  });
});
