import { readFileSync } from 'node:fs';
import { API_DOC, apiExports, renderApiDoc, type ApiClass, type ApiInterface } from '../../../scripts/api-docs';

// The API reference is generated from the code, and the code carries what the reference needs.

const exported = apiExports();
const interfaces = exported.filter((e): e is ApiInterface => e.kind === 'interface');
const byName = new Map(interfaces.map((i) => [i.name, i]));
const propsInterfaces = interfaces.filter((i) => i.name.endsWith('Props'));
/** Interfaces a props interface uses for one of its props (e.g. `SubscriberConfig`). */
const usedByProps = interfaces.filter(
  (i) => !i.name.endsWith('Props') && propsInterfaces.some((p) => p.properties.some((q) => q.type.includes(i.name))),
);

test('docs/api.md is what `npm run docs:api` generates from the code', () => {
  expect(readFileSync(API_DOC, 'utf8')).toBe(renderApiDoc());
});

test('the reference covers the pipeline construct, its props and every piece it composes', () => {
  const names = exported.map((e) => e.name);
  expect(names).toEqual(
    expect.arrayContaining([
      'VoltWebhookPipeline',
      'VoltWebhookPipelineProps',
      'WebhookIngest',
      'MessageStore',
      'DurableQueue',
      'WebhookRegistration',
      'PipelineMonitoring',
      'RejectedRequestQuarantine',
      'signBody',
    ]),
  );
  expect(usedByProps.map((i) => i.name)).toContain('SubscriberConfig');
});

test.each([...propsInterfaces, ...usedByProps].map((i) => [i.name, i] as const))(
  '%s: every prop has a description, and every optional prop its @default',
  (_name, props) => {
    const undocumented = props.properties.filter((p) => !p.doc?.text).map((p) => p.name);
    const withoutDefault = props.properties.filter((p) => p.optional && !p.doc?.defaultValue).map((p) => p.name);
    expect({ undocumented, withoutDefault }).toEqual({ undocumented: [], withoutDefault: [] });
  },
);

test('every public readonly member of the pipeline and the stack says what it is', () => {
  for (const name of ['VoltWebhookPipeline', 'VoltWebhooksStack', 'DurableQueue']) {
    const construct = exported.find((e): e is ApiClass => e.kind === 'class' && e.name === name);
    expect(construct?.members.filter((m) => !m.doc?.text).map((m) => `${name}.${m.name}`)).toEqual([]);
  }
  expect(byName.get('VoltWebhookPipelineProps')?.properties.length).toBeGreaterThan(10);
});
