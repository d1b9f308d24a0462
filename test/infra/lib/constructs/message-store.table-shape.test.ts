import { messageTableDefinition, MESSAGE_TABLE_FIXTURE } from '../../../helpers/dynalite';
import { synthesizedMessageTableDefinition } from '../../../helpers/message-table-shape';

// The unit tests create their tables on the DynamoDB stand-in from a fixture, so that they load
// no CDK; this is what keeps the fixture the construct's shape. When the construct's keys,
// attributes or indexes change, this fails: write the new shape into the fixture with
//   npx tsx -e "require('fs').writeFileSync('test/fixtures/message-table.json', JSON.stringify(require('./test/helpers/message-table-shape').synthesizedMessageTableDefinition(), null, 2) + '\n')"
test(`the table shape the unit tests use (${MESSAGE_TABLE_FIXTURE.split(/[\\/]/).slice(-2).join('/')}) is the one MessageStore synthesizes`, () => {
  expect(messageTableDefinition()).toEqual(synthesizedMessageTableDefinition());
});
