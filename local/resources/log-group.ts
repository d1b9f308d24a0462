import { stringOf } from '../template';
import type { ResourceKind } from './kind';

/** CloudWatch log groups: names and ARNs only; functions' logs go to the live log instead. */
export const logGroupKind: ResourceKind = {
  name: 'log group',
  types: ['AWS::Logs::LogGroup'],

  provide(id, resource, deployment) {
    const name = stringOf(resource.Properties?.['LogGroupName']) ?? `/local/${deployment.physicalName(id, 200)}`;
    return { ref: name, attributes: { Arn: deployment.arn('logs', `log-group:${name}:*`) } };
  },
};
