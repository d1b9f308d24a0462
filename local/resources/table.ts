import { CreateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { STREAM_VIEW_TYPES, type StreamViewType } from '../dynamodb-streams';
import { roleOf } from '../names';
import { constructPath, stringOf, TemplateError, type Json, type JsonObject } from '../template';
import type { ResourceKind } from './kind';

/** DynamoDB tables, created in the DynamoDB stand-in with the template's keys and indexes. */

function indexes(list: Json | undefined): Record<string, unknown>[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.map((index) => {
    const ix = index as JsonObject;
    return {
      IndexName: String(ix['IndexName']),
      KeySchema: ix['KeySchema'],
      Projection: ix['Projection'] ?? { ProjectionType: 'ALL' },
    };
  });
}

/** `CreateTable` input from the table's properties. Capacity means nothing locally: every table is on-demand. */
function createTableInput(name: string, props: JsonObject): CreateTableCommandInput {
  const gsis = indexes(props['GlobalSecondaryIndexes']);
  const lsis = indexes(props['LocalSecondaryIndexes']);
  const input = {
    TableName: name,
    KeySchema: props['KeySchema'],
    AttributeDefinitions: props['AttributeDefinitions'],
    BillingMode: 'PAY_PER_REQUEST',
    ...(gsis?.length ? { GlobalSecondaryIndexes: gsis } : {}),
    ...(lsis?.length ? { LocalSecondaryIndexes: lsis } : {}),
  };
  // The template's JSON has the SDK's shape; DynamoDB's own validation (in the stand-in) checks it.
  return input as unknown as CreateTableCommandInput;
}

export const tableKind: ResourceKind = {
  name: 'DynamoDB table',
  types: ['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable'],

  provide(id, resource, deployment) {
    const name = stringOf(resource.Properties?.['TableName']) ?? deployment.physicalName(id, 255);
    return {
      ref: name,
      attributes: {
        Arn: deployment.arn('dynamodb', `table/${name}`),
        StreamArn: deployment.arn('dynamodb', `table/${name}/stream/local`),
      },
    };
  },

  async start(id, resource, deployment) {
    const props = deployment.properties(id);
    const name = deployment.refs.get(id) ?? id;
    try {
      await deployment.dynamodb.send(new CreateTableCommand(createTableInput(name, props)));
    } catch (err: unknown) {
      // With a data directory the table survives from the last run.
      if (!(err instanceof Error && err.name === 'ResourceInUseException')) {
        throw new TemplateError(
          `${id}: the DynamoDB stand-in refused the table: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    const ttl = props['TimeToLiveSpecification'] as JsonObject | undefined;
    const ttlAttribute = ttl && ttl['Enabled'] !== false ? stringOf(ttl['AttributeName']) : undefined;
    if (ttlAttribute)
      deployment.emit({
        kind: 'info',
        message: `table ${name}: TTL on "${ttlAttribute}" is not enforced locally (dynalite has no TTL)`,
      });
    const viewType = stringOf((props['StreamSpecification'] as JsonObject | undefined)?.['StreamViewType']);
    if (viewType !== undefined) {
      if (!(STREAM_VIEW_TYPES as readonly string[]).includes(viewType))
        throw new TemplateError(`${id}: unknown StreamViewType ${viewType}`);
      deployment.standins.streams.enable(name, deployment.attribute(id, 'StreamArn'), viewType as StreamViewType);
    }
    const role = roleOf(resource);
    const path = constructPath(resource);
    deployment.tables.push({
      logicalId: id,
      ...(role ? { role } : {}),
      ...(path ? { path } : {}),
      name,
      arn: deployment.attribute(id, 'Arn'),
      ...(ttlAttribute ? { timeToLiveAttribute: ttlAttribute } : {}),
    });
    return undefined;
  },
};
