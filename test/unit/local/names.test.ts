import { ROLE_METADATA_KEY } from '../../../lib/template-contract';
import { displayNameFor, physicalName, queueKeyFor, roleOf } from '../../../local/names';
import type { TemplateResource } from '../../../local/template';

const queue = (path: string, role?: string): TemplateResource => ({
  Type: 'AWS::SQS::Queue',
  Metadata: { 'aws:cdk:path': path, ...(role !== undefined ? { [ROLE_METADATA_KEY]: role } : {}) },
});

describe('local names', () => {
  test('queue keys are the roles the template marks the queues with', () => {
    expect(queueKeyFor('X', queue('VoltSmsWebhooks/Pipeline/StateQueue/Queue/Resource', 'state'))).toBe('state');
    expect(queueKeyFor('X', queue('VoltSmsWebhooks/Pipeline/StateQueue/Dlq/Resource', 'stateDlq'))).toBe('stateDlq');
    expect(queueKeyFor('X', queue('VoltSmsWebhooks/Pipeline/Subscriber-crm-sync/Queue/Resource', 'crm-sync'))).toBe(
      'crm-sync',
    );
    expect(queueKeyFor('X', queue('VoltSmsWebhooks/Pipeline/Subscriber-crm-sync/Dlq/Resource', 'crm-syncDlq'))).toBe(
      'crm-syncDlq',
    );
  });

  test('the role wins over the construct path, which names only an unmarked queue', () => {
    expect(queueKeyFor('X', queue('App/Pipeline/Anything/Queue/Resource', 'state'))).toBe('state');
    expect(queueKeyFor('X', queue('App/Pipeline/StateQueue/Queue/Resource'))).toBe('stateQueue');
    expect(queueKeyFor('X', { Type: 'AWS::SQS::Queue' })).toBe('X');
  });

  test('a role must be a non-empty string', () => {
    expect(roleOf(queue('A/B/Resource', ''))).toBeUndefined();
    expect(roleOf({ Type: 'AWS::SQS::Queue', Metadata: { [ROLE_METADATA_KEY]: 3 } })).toBeUndefined();
  });

  test('function display names come from the construct path', () => {
    expect(displayNameFor('Id', 'VoltSmsWebhooks/Pipeline/Ingest/Function/Resource')).toBe('ingest');
    expect(displayNameFor('Id', undefined)).toBe('Id');
  });

  test('physical names stay within the limit, stable and distinct per logical id', () => {
    expect(physicalName('Stack', 'Queue', 80)).toBe('Stack-Queue');
    const long = physicalName('Stack', 'A'.repeat(100), 80);
    expect(long).toHaveLength(80);
    expect(physicalName('Stack', 'A'.repeat(100), 80)).toBe(long);
    expect(physicalName('Stack', `${'A'.repeat(99)}B`, 80)).not.toBe(long);
  });
});
