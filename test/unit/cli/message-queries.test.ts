import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CliError } from '../../../cli/command';
import { main } from '../../../cli/main';
import { MessageQueries, parseE164, parseTimeArg, timelineOf } from '../../../cli/message-queries';
import { requireOutput, resolveStackContext } from '../../../cli/stack-context';
import { createRecordProcessor } from '../../../lambda/consumer/consumer';
import { failedShardOf } from '../../../lambda/common/message-table';
import { createMessageTable, startDynalite, type DynamoStandIn } from '../../helpers/dynalite';
import { eventBody } from '../../helpers/message-events';
import { vendorEvent } from '../../helpers/fixtures';

let db: DynamoStandIn;
let dir: string;
let stackFile: string;
const CONTACT = '+15555550123';
const OTHER = '+15555550199';
const day = (d: number, h = 10) => `2026-02-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00.000Z`;
/** Failed messages to other contacts, enough to land on several shards of the failed index. */
const BULK_FAILED = 24;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) },
    out: () => out.join('\n'),
    err: () => err.join('\n'),
  };
}

async function run(...argv: string[]) {
  const c = capture();
  const code = await main(argv, c.io);
  return { code, out: c.out(), err: c.err() };
}

beforeAll(async () => {
  db = await startDynalite();
  const tableName = await createMessageTable(db.client);
  dir = mkdtempSync(path.join(tmpdir(), 'cli-messages-'));
  mkdirSync(path.join(dir, '.local'));
  stackFile = path.join(dir, '.local', 'stack.json');
  writeFileSync(
    stackFile,
    JSON.stringify({ region: 'us-east-1', dynamodbEndpoint: db.endpoint, tableName, queueUrls: {} }),
  );

  // The table is filled by the real consumer code, so the CLI reads what production writes.
  const apply = createRecordProcessor({ tableName }, (p) => db.client.send(new UpdateItemCommand(p)));
  const bodies = [
    eventBody({
      webhookId: 'a-fin',
      messageId: 'rf_a',
      eventType: 'message.finalized',
      status: 'delivered',
      occurredAt: day(1, 11),
    }),
    eventBody({
      webhookId: 'a-sent',
      messageId: 'rf_a',
      eventType: 'message.sent',
      status: 'sent',
      occurredAt: day(1, 10),
    }),
    eventBody({
      webhookId: 'b-fail',
      messageId: 'rf_b',
      eventType: 'message.finalized',
      status: 'failed',
      occurredAt: day(3),
    }),
    vendorEvent('message-received')
      .raw.replace('"2022-04-07T22:21:04.397+00:00"', `"${day(5)}"`)
      .replace(/"from_number": "[^"]+"/, `"from_number": "${CONTACT}"`),
    eventBody({
      webhookId: 'c-fail',
      messageId: 'rf_c',
      eventType: 'message.finalized',
      status: 'failed',
      occurredAt: day(4),
      payload: { to_number: OTHER },
    }),
    ...Array.from({ length: BULK_FAILED }, (_, i) =>
      eventBody({
        webhookId: `bulk-${i}`,
        messageId: `rf_bulk_${i}`,
        eventType: 'message.finalized',
        status: 'sending_failed',
        occurredAt: `2026-01-10T00:00:${String(i).padStart(2, '0')}.000Z`,
        payload: { to_number: `+1555000${String(i).padStart(4, '0')}` },
      }),
    ),
  ];
  for (const body of bodies) await apply({ body });
}, 30_000);

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await db.close();
});

describe('volt-webhooks status', () => {
  it('prints the current state as labelled lines', async () => {
    const { code, out } = await run('status', 'rf_a', '--local-file', stackFile);
    expect(code).toBe(0);
    expect(out).toMatch(/^Message id: +rf_a$/m);
    expect(out).toMatch(/^Status: +delivered$/m);
    expect(out).toMatch(/^Defined by: +message\.finalized$/m);
    expect(out).toMatch(/^To: +\+15555550123$/m);
    expect(out).toMatch(/^Events seen: +2$/m);
    expect(out).not.toMatch(/Error code/);
  });

  it('prints failure details of a failed message', async () => {
    const { out } = await run('status', 'rf_b', '--local-file', stackFile);
    expect(out).toMatch(/^Error code: +702$/m);
    expect(out).toMatch(/^Provider error: +Blocked as spam - temporary$/m);
  });

  it('prints the item as JSON without the consumer bookkeeping with --json', async () => {
    const { code, out } = await run('status', 'rf_a', '--json', '--local-file', stackFile);
    expect(code).toBe(0);
    const item = JSON.parse(out) as Record<string, unknown>;
    expect(item).toMatchObject({
      messageId: 'rf_a',
      status: 'delivered',
      eventType: 'message.finalized',
      parts: 1,
      toNumber: CONTACT,
    });
    expect(item).not.toHaveProperty('appliedIds');
    expect(item).not.toHaveProperty('stateKey');
  });

  it('exits 1 with a clear error for an unknown id', async () => {
    const { code, err } = await run('status', 'rf_nope', '--local-file', stackFile);
    expect(code).toBe(1);
    expect(err).toMatch(/^Error: no message "rf_nope" in table messages-/);
  });

  it('exits 2 with its help without a message id', async () => {
    const { code, err } = await run('status', '--local-file', stackFile);
    expect(code).toBe(2);
    expect(err).toMatch(/exactly one message id[\s\S]*Usage: volt-webhooks status/);
  });
});

describe('volt-webhooks history', () => {
  it('lists the events by the time they occurred, marking the one that defines the status', async () => {
    const { code, out } = await run('history', 'rf_a', '--local-file', stackFile);
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^OCCURRED AT +EVENT TYPE +STATUS +WEBHOOK ID/);
    // Stored in arrival order (finalized first); shown in event order.
    expect(lines[2]).toMatch(/^2026-02-01T10:00:00.000Z +message\.sent +sent +a-sent$/);
    expect(lines[3]).toMatch(/^2026-02-01T11:00:00.000Z +message\.finalized +delivered +a-fin +<- current$/);
    expect(lines).toHaveLength(4);
  });

  it('labels every column, the marker of the current event included', async () => {
    const { out } = await run('history', 'rf_a', '--local-file', stackFile);
    const [header, ...rows] = out.split('\n');
    expect(header?.split(/\s{2,}/)).toEqual(['OCCURRED AT', 'EVENT TYPE', 'STATUS', 'WEBHOOK ID', 'CURRENT']);
    const marked = rows.find((row) => row.endsWith('<- current'));
    expect(marked?.indexOf('<- current')).toBe(header?.indexOf('CURRENT'));
  });

  it('prints {messageId, status, history} with --json', async () => {
    const { out } = await run('history', 'rf_a', '--json', '--local-file', stackFile);
    expect(JSON.parse(out)).toEqual({
      messageId: 'rf_a',
      status: 'delivered',
      history: [
        { webhookId: 'a-sent', eventType: 'message.sent', status: 'sent', occurredAt: day(1, 10) },
        { webhookId: 'a-fin', eventType: 'message.finalized', status: 'delivered', occurredAt: day(1, 11) },
      ],
    });
  });
});

describe('volt-webhooks messages', () => {
  it('lists the messages with one contact, in or out, newest first', async () => {
    const { code, out } = await run('messages', '--contact', CONTACT, '--local-file', stackFile);
    expect(code).toBe(0);
    const rows = out.split('\n').slice(2);
    expect(rows.map((r) => r.split(/\s+/)[1])).toEqual(['c7fdc0ba-f3df-4e30-a7fc-397940a6f675', 'rf_b', 'rf_a']);
    expect(rows[0]).toMatch(/inbound +webhook_delivered/);
    expect(rows[1]).toMatch(/failed .*702 Blocked as spam/);
  });

  it('accepts a number written with spaces and dashes, and filters by --since/--until', async () => {
    const { out } = await run(
      'messages',
      '--contact',
      '+1 555-555-0123',
      '--since',
      '2026-02-02',
      '--until',
      '2026-02-05T10:00Z',
      '--json',
      '--local-file',
      stackFile,
    );
    expect((JSON.parse(out) as { messageId: string }[]).map((m) => m.messageId)).toEqual(['rf_b']);
  });

  it('says so when nothing matches', async () => {
    const { code, out } = await run('messages', '--contact', '+15555550000', '--local-file', stackFile);
    expect(code).toBe(0);
    expect(out).toBe('No messages found.');
  });

  it.each([
    [['--contact', '5555550123'], /"5555550123" is not an E\.164 phone number/],
    [['--contact', CONTACT, '--since', 'last tuesday'], /--since "last tuesday" is not a date/],
    [['--contact', CONTACT, '--until', '2026-02-30'], /--until "2026-02-30" is not a date/],
    [['--contact', CONTACT, '--since', '2026-03-01', '--until', '2026-02-01'], /--since .* must be before --until/],
    [['--contact', CONTACT, '--limit', '0'], /--limit "0"/],
  ])('exits 2, a usage error, with a clear message for %j', async (args, message) => {
    const { code, err } = await run('messages', ...args, '--local-file', stackFile);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  it('exits 2 with its help without --contact', async () => {
    const { code, err } = await run('messages', '--local-file', stackFile);
    expect(code).toBe(2);
    expect(err).toMatch(/--contact <E\.164> is required[\s\S]*Usage: volt-webhooks messages/);
  });
});

describe('volt-webhooks failed', () => {
  it('lists failed messages from every shard, newest first', async () => {
    const shards = new Set(
      ['rf_b', 'rf_c', ...Array.from({ length: BULK_FAILED }, (_, i) => `rf_bulk_${i}`)].map(failedShardOf),
    );
    expect(shards.size).toBeGreaterThan(4);
    const { code, out } = await run('failed', '--json', '--limit', '100', '--local-file', stackFile);
    expect(code).toBe(0);
    const ids = (JSON.parse(out) as { messageId: string }[]).map((m) => m.messageId);
    expect(ids).toEqual([
      'rf_c',
      'rf_b',
      ...Array.from({ length: BULK_FAILED }, (_, i) => `rf_bulk_${BULK_FAILED - 1 - i}`),
    ]);
    expect(ids).not.toContain('rf_a');
  });

  it('honours --limit and --since, and prints a table', async () => {
    const { out } = await run('failed', '--since', '2026-02-01', '--limit', '1', '--local-file', stackFile);
    const lines = out.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^OCCURRED AT +MESSAGE ID +DIRECTION +STATUS +FROM +TO +ERROR +TEXT$/);
    expect(lines[2]).toMatch(
      /^2026-02-04T10:00:00.000Z +rf_c +outbound +failed +\+15555550145 +\+15555550199 +702 Blocked as spam/,
    );
  });
});

describe('the reads the console shares', () => {
  const withQueries = async <T>(use: (q: MessageQueries) => Promise<T>): Promise<T> => {
    const q = new MessageQueries(await resolveStackContext({ localFile: stackFile }));
    try {
      return await use(q);
    } finally {
      q.close();
    }
  };

  it('recent lists every message of a time range, whatever its contact, newest first', async () => {
    const { messages, truncated } = await withQueries((q) => q.recent({ since: day(1, 0), until: day(6, 0) }, 10));
    expect(truncated).toBe(false);
    expect(messages.map((m) => m.occurredAt)).toEqual([day(5), day(4), day(3), day(1, 11)]);
    expect(messages.map((m) => m.messageId)).toEqual(expect.arrayContaining(['rf_a', 'rf_b', 'rf_c']));
  });

  it('recent honours the limit and an open range', async () => {
    const { messages } = await withQueries((q) => q.recent({}, 3));
    expect(messages.map((m) => m.occurredAt)).toEqual([day(5), day(4), day(3)]);
  });

  it('the timeline of a message whose events arrived out of order marks the late older one stale', async () => {
    const timeline = timelineOf(await withQueries((q) => q.get('rf_a')));
    // In occurredAt order; a-fin arrived first, so a-sent changed nothing when it came.
    expect(timeline.map((e) => [e.webhookId, e.role, e.arrival])).toEqual([
      ['a-sent', 'stale', 2],
      ['a-fin', 'current', 1],
    ]);
  });
});

describe('timelineOf', () => {
  const entry = (webhookId: string, eventType: string, status: string, occurredAt: string) => ({
    webhookId,
    eventType,
    status,
    occurredAt,
  });

  it('marks events that defined the state and were replaced, and unknown types', () => {
    const timeline = timelineOf({
      messageId: 'rf_x',
      webhookId: 'w3',
      history: [
        entry('w1', 'message.sent', 'sent', day(1, 10)),
        entry('w9', 'message.reacted', 'sent', day(1, 10)),
        entry('w3', 'message.finalized', 'delivered', day(1, 12)),
        entry('w2', 'message.sent', 'sent', day(1, 11)),
      ],
    });
    expect(timeline.map((e) => `${e.webhookId}:${e.role}`)).toEqual([
      'w1:superseded',
      'w9:history-only',
      'w2:stale',
      'w3:current',
    ]);
  });

  it('is empty for a message without history', () => {
    expect(timelineOf({ messageId: 'rf_y' })).toEqual([]);
  });
});

describe('finding the stack', () => {
  it.each(['status', 'history', 'messages', 'failed'])(
    '%s --help documents --local, --stack and --region',
    async (name) => {
      const { code, out } = await run(name, '--help');
      expect(code).toBe(0);
      expect(out).toMatch(new RegExp(`^Usage: volt-webhooks ${name}`));
      expect(out).toMatch(/--local\b[\s\S]*--stack <name>[\s\S]*--region <region>/);
    },
  );

  it('exits 1 and says to start the local stack when .local/stack.json is missing', async () => {
    const { code, err } = await run('status', 'rf_a', '--local-file', path.join(dir, 'missing.json'));
    expect(code).toBe(1);
    expect(err).toMatch(/missing\.json not found: start the local stack with `npm start`/);
  });

  it('exits 1 with a clear error when the local stack does not answer', async () => {
    const dead = path.join(dir, 'dead.json');
    writeFileSync(
      dead,
      JSON.stringify({ region: 'us-east-1', dynamodbEndpoint: 'http://127.0.0.1:1', tableName: 't' }),
    );
    const { code, err } = await run('status', 'rf_a', '--local-file', dead);
    expect(code).toBe(1);
    expect(err).toMatch(/local stack does not answer/);
  });

  it('exits 1 with a clear error when no AWS credentials can be found', async () => {
    const saved = { ...process.env };
    for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
    Object.assign(process.env, {
      AWS_CONFIG_FILE: path.join(dir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    try {
      const { code, err } = await run('status', 'rf_a', '--stack', 'VoltSmsWebhooks', '--region', 'us-east-1');
      expect(code).toBe(1);
      expect(err).toMatch(/no AWS credentials found/);
    } finally {
      process.env = saved;
    }
  }, 20_000);

  it('reads the table name from the deployed stack outputs, and says which output is missing', async () => {
    const ctx = await resolveStackContext({
      stack: 'Mine',
      region: 'eu-west-1',
      describeStack: async (name, region) => ({ TableName: `${name}-${region}` }),
    });
    expect(ctx).toMatchObject({
      kind: 'deployed',
      source: 'Mine',
      region: 'eu-west-1',
      dynamodb: { region: 'eu-west-1' },
    });
    expect(requireOutput(ctx, 'TableName')).toBe('Mine-eu-west-1');
    expect(() => requireOutput(ctx, 'WebhookUrl')).toThrow(/stack "Mine" has no WebhookUrl output/);
  });

  it('uses the local stand-in endpoint with fixed credentials for --local', async () => {
    const ctx = await resolveStackContext({ localFile: stackFile });
    expect(ctx.kind).toBe('local');
    expect(ctx.dynamodb).toEqual({
      region: 'us-east-1',
      endpoint: db.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await expect(resolveStackContext({ localFile: stackFile, stack: 'X' })).rejects.toThrow(CliError);
  });
});

describe('argument parsing', () => {
  const now = new Date('2026-05-10T12:00:00.000Z');

  it('reads ISO dates as UTC and spans as time before now', () => {
    expect(parseTimeArg('2026-05-01', '--since', now)).toBe('2026-05-01T00:00:00.000Z');
    expect(parseTimeArg('2026-05-01T08:30', '--since', now)).toBe('2026-05-01T08:30:00.000Z');
    expect(parseTimeArg('2026-05-01T08:30:00+02:00', '--since', now)).toBe('2026-05-01T06:30:00.000Z');
    expect(parseTimeArg('24h', '--since', now)).toBe('2026-05-09T12:00:00.000Z');
    expect(parseTimeArg('7d', '--since', now)).toBe('2026-05-03T12:00:00.000Z');
  });

  it('normalizes E.164 numbers and refuses anything else', () => {
    expect(parseE164('+1 (555) 555-0123')).toBe('+15555550123');
    expect(() => parseE164('+0123')).toThrow(CliError);
    expect(() => parseE164('+1234567890123456')).toThrow(CliError);
  });
});
