import type { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * What the synthesized template promises to the code that reads it rather than deploys it:
 * the local runner (`local/`), the tests and users' scripts. Defined once here; change it only
 * on purpose. This module imports nothing from aws-cdk-lib at run time (types only), so the
 * local runner and the CLI load it without loading the CDK.
 */

/** The CloudFormation type of the registration custom resource (a contract: see docs/architecture.md). */
export const REGISTRATION_RESOURCE_TYPE = 'Custom::VoltWebhookRegistration';

/**
 * The template metadata key under which the pipeline's constructs name the role of their
 * resources, so readers find "the state queue" or "the messages table" without parsing
 * construct paths or logical ids.
 */
export const ROLE_METADATA_KEY = 'volt-webhooks:role';

/** The state queue's role; a subscriber queue's role is the subscriber's name. */
export const STATE_QUEUE_ROLE = 'state';
/** The quarantine of rejected requests. */
export const QUARANTINE_QUEUE_ROLE = 'quarantine';
/** The messages table the consumer keeps. */
export const MESSAGES_TABLE_ROLE = 'messages';
/** The queue the ingest sends every verified delivery to, for the archiver. */
export const ARCHIVE_QUEUE_ROLE = 'archive';
/** The bucket the archiver writes the deliveries to. */
export const ARCHIVE_BUCKET_ROLE = 'archiveBucket';

const DEAD_LETTER_SUFFIX = 'Dlq';

/** The role of a queue's dead-letter queue (`state` -> `stateDlq`, `crm` -> `crmDlq`). */
export function deadLetterRole(queueRole: string): string {
  return `${queueRole}${DEAD_LETTER_SUFFIX}`;
}

/** The queue role a dead-letter role belongs to (`crmDlq` -> `crm`), or `undefined` for a role that is not one. */
export function deadLetterSourceRole(role: string): string | undefined {
  return role.endsWith(DEAD_LETTER_SUFFIX) && role.length > DEAD_LETTER_SUFFIX.length
    ? role.slice(0, -DEAD_LETTER_SUFFIX.length)
    : undefined;
}

/** Marks the CloudFormation resource behind an L2 construct (its default child) with its role. */
export function markRole(construct: IConstruct, role: string): void {
  const resource = construct.node.defaultChild as CfnResource | undefined;
  if (!resource) throw new Error(`${construct.node.path} has no CloudFormation resource to mark with role ${role}`);
  resource.addMetadata(ROLE_METADATA_KEY, role);
}
