import { stringOf } from '../template';
import type { ResourceKind } from './kind';

/** IAM roles: only names and ARNs locally (functions run with the stand-ins' dummy credentials). */
export const iamRoleKind: ResourceKind = {
  name: 'IAM role',
  types: ['AWS::IAM::Role'],

  provide(id, resource, deployment) {
    const name = stringOf(resource.Properties?.['RoleName']) ?? deployment.physicalName(id, 64);
    return {
      ref: name,
      attributes: {
        Arn: `arn:aws:iam::${deployment.settings.accountId}:role/${name}`,
        RoleId: `AROA${id.slice(0, 16).toUpperCase()}`,
      },
    };
  },
};
