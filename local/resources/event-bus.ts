import { stringOf } from '../template';
import type { ResourceKind } from './kind';

/** EventBridge event buses, created in the EventBridge stand-in. */
export const eventBusKind: ResourceKind = {
  name: 'event bus',
  types: ['AWS::Events::EventBus'],

  provide(id, resource, deployment) {
    const name = stringOf(resource.Properties?.['Name']) ?? deployment.physicalName(id, 256);
    const arn = deployment.standins.eventbridge.busArn(name);
    return { ref: name, attributes: { Arn: arn, Name: name } };
  },

  async start(id, _resource, deployment) {
    deployment.standins.eventbridge.createBus(deployment.refs.get(id) ?? id);
    return undefined;
  },
};
