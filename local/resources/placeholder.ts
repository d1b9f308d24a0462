import type { ResourceKind } from './kind';

/**
 * Every resource with no local counterpart (policies, permissions, alarms, topics...): it still
 * gets a `Ref` and an `Arn`, so templates that mention it resolve; the values mean nothing locally.
 */
export const placeholderKind: ResourceKind = {
  name: 'resource with no local counterpart',
  types: ['*'],

  provide(id, resource, deployment) {
    const service = resource.Type.split('::')[1]?.toLowerCase() ?? 'local';
    return { ref: deployment.physicalName(id, 128), attributes: { Arn: deployment.arn(service, id) } };
  },
};
