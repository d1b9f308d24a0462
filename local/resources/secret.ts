import { randomBytes } from 'node:crypto';
import { stringOf } from '../template';
import type { ResourceKind } from './kind';

/**
 * Secrets Manager secrets, put in the Secrets Manager stand-in as soon as their values are
 * asked for: their `Ref` is the ARN the stand-in gives them.
 */
export const secretKind: ResourceKind = {
  name: 'secret',
  types: ['AWS::SecretsManager::Secret'],

  provide(id, resource, deployment) {
    const name = stringOf(resource.Properties?.['Name']) ?? deployment.physicalName(id, 256);
    // A generated secret gets a random value locally too; a given SecretString is used as is.
    const value = stringOf(resource.Properties?.['SecretString']) ?? randomBytes(24).toString('base64url');
    const { arn } = deployment.standins.secrets.put(name, value);
    return { ref: arn, attributes: { Id: arn } };
  },
};
