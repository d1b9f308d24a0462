import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { STATUS_EVENT_SCHEMA } from '../../lambda/common/status-events';

/**
 * A validator of the status events' JSON Schema, built as a reader of the events would build one:
 * Ajv for draft 4 (the registry's dialect), strict, with the standard formats (`date-time`).
 * Its `errors` say why an event did not validate.
 */
export function statusEventValidator() {
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv.compile(STATUS_EVENT_SCHEMA);
}
