import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ProgressRecord, progressFileName, recordedIds, type ReplayKey } from '../../../../cli/replay/progress';

const KEY: ReplayKey = {
  stack: 'VoltSmsWebhooks',
  bucket: 'archive',
  prefix: 'deliveries/',
  since: '2026-11-29T10:00:00.000Z',
  until: '2026-11-29T12:00:00.000Z',
  eventTypes: [],
  queueUrl: 'https://sqs.us-east-1.amazonaws.com/1/state',
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'replay-progress-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('replay progress record', () => {
  it('names one file per stack, archive, window, event types and target', () => {
    const names = new Set(
      [
        KEY,
        { ...KEY, stack: 'Other' },
        { ...KEY, until: '2026-11-29T13:00:00.000Z' },
        { ...KEY, eventTypes: ['message.sent'] },
        { ...KEY, queueUrl: 'https://sqs.us-east-1.amazonaws.com/1/crm' },
        { ...KEY, prefix: 'other/' },
      ].map(progressFileName),
    );
    expect(names.size).toBe(6);
    expect(progressFileName({ ...KEY, eventTypes: ['b', 'a'] })).toBe(
      progressFileName({ ...KEY, eventTypes: ['a', 'b'] }),
    );
  });

  it('writes nothing until a batch is recorded, then finds its ids again', () => {
    const first = ProgressRecord.open(dir, KEY);
    expect(first.resumed).toBe(false);
    first.recordSent(['rfw_1', 'rfw_2']);
    first.recordSent(['rfw_2', 'rfw_3']);
    const again = ProgressRecord.open(dir, KEY);
    expect(again.resumed).toBe(true);
    expect([...again.sent].sort()).toEqual(['rfw_1', 'rfw_2', 'rfw_3']);
    expect(again.completed).toBeUndefined();
    // Each id is written once, however often it is recorded.
    expect(recordedIds(first.file)).toEqual(['rfw_1', 'rfw_2', 'rfw_3']);
    const header = JSON.parse(readFileSync(first.file, 'utf8').split('\n')[0] ?? '') as { replay: ReplayKey };
    expect(header.replay).toEqual(KEY);
  });

  it('remembers a finished window', () => {
    const record = ProgressRecord.open(dir, KEY);
    record.recordSent(['rfw_1']);
    record.complete(new Date('2026-11-30T00:00:00Z'));
    expect(ProgressRecord.open(dir, KEY).completed).toBe('2026-11-30T00:00:00.000Z');
  });

  it('cuts off a torn last line (a run killed mid-append) and appends after it', () => {
    const record = ProgressRecord.open(dir, KEY);
    record.recordSent(['rfw_1']);
    appendFileSync(record.file, '{"sent":["rfw_2"');
    const resumed = ProgressRecord.open(dir, KEY);
    expect([...resumed.sent]).toEqual(['rfw_1']);
    resumed.recordSent(['rfw_2']);
    expect([...ProgressRecord.open(dir, KEY).sent]).toEqual(['rfw_1', 'rfw_2']);
    expect(recordedIds(record.file)).toEqual(['rfw_1', 'rfw_2']);
  });

  it('refuses a record damaged before its last line', () => {
    const record = ProgressRecord.open(dir, KEY);
    record.recordSent(['rfw_1']);
    appendFileSync(record.file, 'garbage\n{"sent":["rfw_3"]}\n');
    expect(() => ProgressRecord.open(dir, KEY)).toThrow(/damaged at line 3/);
  });
});
