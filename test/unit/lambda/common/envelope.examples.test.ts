import { messageIdOf, parseEnvelope } from '../../../../lambda/common/envelope';
import { exampleEvents, vendorEvents } from '../../../helpers/fixtures';

/**
 * test/fixtures/events/: the examples the docs point to. The vendor documents its delivered and
 * failed examples under one envelope id (kept as documented in vendor/), so a stack that is sent
 * both stores only the first; the examples give each event its own.
 */

const webhookIds = (events: { raw: string }[]) => events.map((e) => parseEnvelope(e.raw).id);

test('every example has its own envelope id, so posting all of them stores every one', () => {
  const ids = webhookIds(exampleEvents());
  expect(ids).toHaveLength(4);
  expect(new Set(ids).size).toBe(ids.length);
});

test('the failed example is a message of its own, to the number the simulator blocks as spam', () => {
  const byName = Object.fromEntries(exampleEvents().map((e) => [e.name, parseEnvelope(e.raw)]));
  const failed = byName['message-failed'];
  const delivered = byName['message-delivered'];
  expect(failed && messageIdOf(failed)).not.toBe(delivered && messageIdOf(delivered));
  expect(failed?.payload['to_number']).toBe('+15555550666');
  expect(failed?.payload['status']).toBe('failed');
});

test('the examples keep the vendor copies, ids aside', () => {
  const vendor = Object.fromEntries(vendorEvents().map((e) => [e.name, e.raw]));
  for (const example of exampleEvents()) {
    const documented = vendor[example.name];
    expect(documented).toBeDefined();
    if (example.name !== 'message-failed') expect(example.raw).toBe(documented);
  }
  // What the examples correct: the vendor's delivered and failed share one envelope id.
  const [delivered, failed] = ['message-delivered', 'message-failed'].map((name) =>
    parseEnvelope(vendor[name] ?? '{}'),
  );
  expect(delivered?.id).toBe(failed?.id);
});
