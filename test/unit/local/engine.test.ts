import { dependenciesOf, startWaves } from '../../../local/engine';
import { TemplateError, type CfnTemplate } from '../../../local/template';

const template: CfnTemplate = {
  Resources: {
    Dlq: { Type: 'AWS::SQS::Queue' },
    Queue: {
      Type: 'AWS::SQS::Queue',
      Properties: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 3 } },
    },
    Role: { Type: 'AWS::IAM::Role' },
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Role: { 'Fn::GetAtt': 'Role.Arn' },
        Environment: { Variables: { URL: { 'Fn::Sub': '${Queue}|${Dlq.QueueName}|${!Literal}|${AWS::Region}' } } },
      },
    },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: { EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, FunctionName: { Ref: 'Fn' } },
    },
    Custom: { Type: 'Custom::Thing', DependsOn: ['Mapping'], Properties: { Region: { Ref: 'AWS::Region' } } },
  },
};
const ids = new Set(Object.keys(template.Resources));

describe('local engine: dependency order', () => {
  test('a resource depends on what Ref, Fn::GetAtt (both forms) and Fn::Sub name, and on DependsOn', () => {
    expect(dependenciesOf(template.Resources['Queue']!, ids)).toEqual(new Set(['Dlq']));
    expect(dependenciesOf(template.Resources['Fn']!, ids)).toEqual(new Set(['Role', 'Queue', 'Dlq']));
    expect(dependenciesOf(template.Resources['Mapping']!, ids)).toEqual(new Set(['Queue', 'Fn']));
    expect(dependenciesOf(template.Resources['Custom']!, ids)).toEqual(new Set(['Mapping']));
  });

  test('pseudo parameters, escaped Fn::Sub text and names outside the template are no dependencies', () => {
    expect(dependenciesOf({ Type: 'X', Properties: { A: { Ref: 'AWS::Region' }, B: { Ref: 'Nope' } } }, ids)).toEqual(
      new Set(),
    );
    expect(dependenciesOf({ Type: 'X', Properties: { A: { 'Fn::Sub': '${!Queue}' } } }, ids)).toEqual(new Set());
  });

  test('waves start what has no dependency first, and each resource after everything it needs', () => {
    expect(startWaves(template)).toEqual([['Dlq', 'Role'], ['Queue'], ['Fn'], ['Mapping'], ['Custom']]);
  });

  test('resources that depend on each other are named, not started', () => {
    const cyclic: CfnTemplate = {
      Resources: {
        A: { Type: 'AWS::SQS::Queue', Properties: { X: { Ref: 'B' } } },
        B: { Type: 'AWS::SQS::Queue', Properties: { X: { Ref: 'A' } } },
        C: { Type: 'AWS::SQS::Queue' },
      },
    };
    expect(() => startWaves(cyclic)).toThrow(TemplateError);
    expect(() => startWaves(cyclic)).toThrow(/resources A, B depend on each other/);
  });
});
