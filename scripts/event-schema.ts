// The status events' JSON Schema as a file, schemas/message-status-event.json, written from the
// one definition (lambda/common/status-events.ts) that the stack registers in EventBridge's schema
// registry: `npm run docs:schema` writes it (formatted as the repository's Prettier formats JSON),
// and test/unit/lambda/common/status-events.test.ts fails when it differs.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { format, resolveConfig } from 'prettier';
import { STATUS_EVENT_SCHEMA } from '../lambda/common/status-events';

export const SCHEMA_FILE = path.resolve(__dirname, '..', 'schemas', 'message-status-event.json');

async function main(): Promise<void> {
  const options = (await resolveConfig(SCHEMA_FILE)) ?? {};
  writeFileSync(SCHEMA_FILE, await format(JSON.stringify(STATUS_EVENT_SCHEMA), { ...options, parser: 'json' }));
  console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
}

void main();
