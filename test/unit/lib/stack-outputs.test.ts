import { pascalCaseId, queueOutputIds, subscriberOutputPrefix } from '../../../lib/stack-outputs';

describe('pascalCaseId', () => {
  it.each([
    ['crm', 'Crm'],
    ['crm-sync', 'CrmSync'],
    ['crm_sync', 'CrmSync'],
    ['CrmSync', 'CrmSync'],
    ['a1-b2', 'A1B2'],
    ['--edge--', 'Edge'],
    ['audit.v2', 'AuditV2'],
  ])('turns %p into %p', (name, id) => {
    expect(pascalCaseId(name)).toBe(id);
  });

  it('keeps letters and digits only, so the result is a valid part of a CloudFormation id', () => {
    expect(pascalCaseId('a b/c:d#e')).toMatch(/^[A-Za-z0-9]+$/);
    expect(pascalCaseId('---')).toBe('');
  });
});

describe('output ids', () => {
  it("prefix a subscriber's outputs with Subscriber and its PascalCase name", () => {
    expect(subscriberOutputPrefix('crm-sync')).toBe('SubscriberCrmSync');
  });

  it('name the four outputs of a durable queue under a prefix', () => {
    expect(queueOutputIds('State')).toEqual({
      queueUrl: 'StateQueueUrl',
      queueArn: 'StateQueueArn',
      dlqUrl: 'StateDlqUrl',
      dlqArn: 'StateDlqArn',
    });
  });
});
