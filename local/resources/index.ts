import { bucketKind, bucketPolicyKind } from './bucket';
import { customResourceKind } from './custom-resource';
import { eventArchiveKind } from './event-archive';
import { eventBusKind } from './event-bus';
import { eventRuleKind } from './event-rule';
import { eventSchemasKind } from './event-schemas';
import { eventSourceMappingKind } from './event-source-mapping';
import { functionKind } from './function';
import { httpApiKind } from './http-api';
import { iamRoleKind } from './iam-role';
import type { ResourceKind } from './kind';
import { logGroupKind } from './log-group';
import { placeholderKind } from './placeholder';
import { queueKind } from './queue';
import { secretKind } from './secret';
import { tableKind } from './table';

/** Every resource kind the local runner knows; a new kind is its module plus its line here. */
export const RESOURCE_KINDS: readonly ResourceKind[] = [
  queueKind,
  tableKind,
  functionKind,
  eventSourceMappingKind,
  httpApiKind,
  customResourceKind,
  eventBusKind,
  eventRuleKind,
  eventArchiveKind,
  eventSchemasKind,
  bucketKind,
  bucketPolicyKind,
  secretKind,
  iamRoleKind,
  logGroupKind,
];

/** What runs a type no kind above handles. */
export const FALLBACK_KIND: ResourceKind = placeholderKind;

export type { ProvidedValues, ResourceKind, Stop } from './kind';
