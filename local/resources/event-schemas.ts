import { stringOf, TemplateError } from '../template';
import type { ProvidedValues, ResourceKind } from './kind';

/**
 * EventBridge schema registries and schemas: their names and ARNs (a registry's and a schema's
 * `Ref` is its ARN, as in CloudFormation). A schema's `Content` must be JSON, as the registry
 * would refuse it otherwise; nothing else of the registry runs locally.
 */
export const eventSchemasKind: ResourceKind = {
  name: 'event schema registry',
  types: ['AWS::EventSchemas::Registry', 'AWS::EventSchemas::Schema'],

  provide(id, resource, deployment): ProvidedValues {
    if (resource.Type === 'AWS::EventSchemas::Registry') {
      const name = stringOf(resource.Properties?.['RegistryName']) ?? deployment.physicalName(id, 64);
      const arn = deployment.arn('schemas', `registry/${name}`);
      return { ref: arn, attributes: { RegistryArn: arn, RegistryName: name } };
    }
    const name = stringOf(resource.Properties?.['SchemaName']) ?? deployment.physicalName(id, 64);
    const arn = deployment.arn('schemas', `schema/local/${name}`);
    return { ref: arn, attributes: { SchemaArn: arn, SchemaName: name, SchemaVersion: '1' } };
  },

  async start(id, resource, deployment) {
    if (resource.Type !== 'AWS::EventSchemas::Schema') return undefined;
    const content = stringOf(deployment.properties(id)['Content']) ?? '';
    try {
      JSON.parse(content);
    } catch {
      throw new TemplateError(`${id}: the schema's Content is not JSON`);
    }
    return undefined;
  },
};
