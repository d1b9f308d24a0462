import { stringOf } from '../template';
import type { ResourceKind } from './kind';

/**
 * EventBridge archives: a name and an ARN, so that templates resolve. Locally nothing is
 * archived and there is no replay: the live log and the rules' queues show every event.
 */
export const eventArchiveKind: ResourceKind = {
  name: 'event archive',
  types: ['AWS::Events::Archive'],

  provide(id, resource, deployment) {
    const name = stringOf(resource.Properties?.['ArchiveName']) ?? deployment.physicalName(id, 48);
    return { ref: name, attributes: { Arn: deployment.arn('events', `archive/${name}`), ArchiveName: name } };
  },

  async start(id, _resource, deployment) {
    const bus = stringOf(deployment.properties(id)['SourceArn']) ?? '';
    deployment.emit({
      kind: 'info',
      message: `archive ${deployment.refs.get(id) ?? id} of ${bus.replace(/^.*:event-bus\//, '')}: not kept locally (no replay)`,
    });
    return undefined;
  },
};
