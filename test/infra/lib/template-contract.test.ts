import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { REGISTRATION_RESOURCE_TYPE, ROLE_METADATA_KEY } from '../../../lib/template-contract';
import { testKeyPair } from '../../helpers/keys';
import { synthStack } from '../../helpers/synth';

// The role metadata the local runner and the tests find the pipeline's resources by.

const volt = testKeyPair('volt');
const { template, stack } = synthStack({
  subscribers: [{ name: 'crm-sync', eventTypes: ['message.received'] }, { name: 'audit' }],
  voltPublicKeys: [volt.formats.sshRsa],
  voltApiTokenSecret: 'volt/api-token',
});
const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const resources = template.toJSON().Resources as Record<string, { Type: string; Metadata?: Record<string, unknown> }>;
const roleOf = (id: string) => resources[id]?.Metadata?.[ROLE_METADATA_KEY];

describe('resource roles in the template metadata', () => {
  const { pipeline } = stack;

  it('mark the state queue and its DLQ as state and stateDlq', () => {
    expect(roleOf(logicalId(pipeline.stateQueue.queue))).toBe('state');
    expect(roleOf(logicalId(pipeline.stateQueue.deadLetterQueue))).toBe('stateDlq');
  });

  it("mark each subscriber queue with the subscriber's name, and its DLQ with <name>Dlq", () => {
    const crm = pipeline.subscriberQueues.get('crm-sync');
    const audit = pipeline.subscriberQueues.get('audit');
    expect(crm && audit).toBeDefined();
    expect(roleOf(logicalId(crm!.queue))).toBe('crm-sync');
    expect(roleOf(logicalId(crm!.deadLetterQueue))).toBe('crm-syncDlq');
    expect(roleOf(logicalId(audit!.queue))).toBe('audit');
    expect(roleOf(logicalId(audit!.deadLetterQueue))).toBe('auditDlq');
  });

  it('mark the quarantine queue and the messages table', () => {
    expect(roleOf(logicalId(pipeline.quarantine.queue))).toBe('quarantine');
    expect(roleOf(logicalId(pipeline.messageStore.table))).toBe('messages');
  });

  it('mark the archive queue, its DLQ and the archive bucket', () => {
    const archive = pipeline.archive!;
    expect(roleOf(logicalId(archive.queue.queue))).toBe('archive');
    expect(roleOf(logicalId(archive.queue.deadLetterQueue))).toBe('archiveDlq');
    expect(roleOf(logicalId(archive.bucket))).toBe('archiveBucket');
  });

  it('give every role once, and only to queues, the table and the archive bucket', () => {
    const marked = Object.entries(resources).filter(([id]) => roleOf(id) !== undefined);
    expect(marked.map(([id]) => roleOf(id)).sort()).toEqual(
      [
        'audit',
        'auditDlq',
        'crm-sync',
        'crm-syncDlq',
        'messages',
        'quarantine',
        'state',
        'stateDlq',
        'archive',
        'archiveDlq',
        'archiveBucket',
      ].sort(),
    );
    expect(new Set(marked.map(([, r]) => r.Type))).toEqual(
      new Set(['AWS::SQS::Queue', 'AWS::DynamoDB::Table', 'AWS::S3::Bucket']),
    );
  });

  it(`declare the registration as ${REGISTRATION_RESOURCE_TYPE}`, () => {
    template.resourceCountIs(REGISTRATION_RESOURCE_TYPE, 1);
  });
});
