import { createHash } from 'node:crypto';
import { ROLE_METADATA_KEY } from '../lib/template-contract';
import { constructPath, type TemplateResource } from './template';

/** How the local runner names what it runs: physical names, short names for logs, roles. */

/** Local physical names: readable, stable per stack, within each service's length limit. */
export function physicalName(stackName: string, logicalId: string, max: number): string {
  const name = `${stackName}-${logicalId}`;
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, max - 9)}-${hash}`;
}

/** `VoltSmsWebhooks/Pipeline/Ingest/Function/Resource` -> `ingest`: a short name for logs. */
export function displayNameFor(logicalId: string, path: string | undefined): string {
  if (!path) return logicalId;
  const parts = path.split('/').filter((p) => p !== 'Resource' && p !== 'Default');
  const meaningful = parts.filter((p) => !/^(Function|Handler|Queue|Table|Resource)$/.test(p));
  const last = meaningful[meaningful.length - 1] ?? logicalId;
  return last.replace(/^[A-Z]/, (c) => c.toLowerCase());
}

/** The role the pipeline's constructs mark a resource with (see `lib/template-contract.ts`). */
export function roleOf(resource: TemplateResource): string | undefined {
  const role = resource.Metadata?.[ROLE_METADATA_KEY];
  return typeof role === 'string' && role !== '' ? role : undefined;
}

/**
 * The queue names `.local/stack.json` and the logs use: the role the template marks the queue
 * with (`state`, `stateDlq`, `crm`, `crmDlq`, `quarantine`); a queue without one keeps a name
 * derived from its construct path.
 */
export function queueKeyFor(logicalId: string, resource: TemplateResource): string {
  return roleOf(resource) ?? displayNameFor(logicalId, constructPath(resource));
}
