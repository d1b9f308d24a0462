import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { DomainError } from '../common/errors';
import { E164_EXAMPLE, isE164, isWebUrl } from '../common/formats';
import {
  describeProbe,
  MAX_WINDOW_MS,
  SELF_CHECK_BODY,
  SELF_CHECK_HEADER,
  WINDOW_CACHE_MS,
  type ProbeOutcome,
} from '../common/registration-window';
import { REGISTRATION_PROPS } from './config';
import { backoffDelay, DEFAULT_VOLT_API_URL, VoltApiError, VoltGraphQLError, type VoltWebhook } from './volt-api';

/**
 * The registration custom resource's logic, with no AWS client inside: Create adopts or
 * registers, Update registers the new webhook before deleting the old, Delete tolerates a
 * webhook that is already gone. The physical resource id is Volt's webhook id.
 */

/** The resource's properties are missing or malformed. */
export class InvalidPropertiesError extends DomainError {}

export interface RegistrationProperties {
  readonly webhookUrl: string;
  readonly apiUrl: string;
  readonly primaryPhone?: string;
  readonly eventTypes?: readonly string[];
}

/** The part of the Volt client the logic uses; a `VoltClient` fits. */
export interface VoltWebhookApi {
  listWebhooks(): Promise<VoltWebhook[]>;
  registerWebhook(
    input: { readonly url: string; readonly primaryPhone?: string; readonly eventTypes?: readonly string[] },
    options: { readonly retry?: boolean },
  ): Promise<VoltWebhook>;
  deleteWebhook(id: string): Promise<unknown>;
}

export interface RegistrationLog {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
}

/**
 * The registration window (lambda/common/registration-window.ts) as the registration function
 * drives it: opened just before `registerWebhook`, read back and closed right after it.
 */
export interface RegistrationWindow {
  /** Opens (or reopens, forgetting any probe seen) the window until `untilMs` (epoch ms). */
  open(untilMs: number): Promise<void>;
  /** What the ingest recorded of the probe, if one came. */
  probe(): Promise<ProbeOutcome | undefined>;
  close(): Promise<void>;
}

/** The custom resource attribute (and `VoltProbeSignature` output) saying what the probe's signature was. */
export const PROBE_SIGNATURE_ATTRIBUTE = 'ProbeSignature';

export interface RegistrationDeps {
  /** A client for one API URL (the old and new properties may name different ones). */
  readonly clientFor: (apiUrl: string) => VoltWebhookApi;
  readonly log: RegistrationLog;
  /** Epoch ms by which the handler must have answered. */
  readonly deadline: number;
  /** The registration window; without it Volt's probe meets the ingest's usual checks. @default none */
  readonly window?: RegistrationWindow;
  /** Waits until the webhook URL is served, before Volt probes it. Skipped when absent. */
  readonly waitForEndpoint?: (url: string, deadline: number) => Promise<boolean>;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Backoff of the register loop. @default 500 ms doubling to 8 s */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** What the Provider framework expects back from onEvent. */
export interface OnEventResult {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** Parses and validates the resource's properties (CloudFormation passes every scalar as a string). */
export function parseProperties(
  raw: Record<string, unknown> | undefined,
  label = 'ResourceProperties',
): RegistrationProperties {
  const props = raw ?? {};
  const webhookUrl = props[REGISTRATION_PROPS.webhookUrl];
  if (typeof webhookUrl !== 'string' || !isWebUrl(webhookUrl)) {
    throw new InvalidPropertiesError(
      `${label}.${REGISTRATION_PROPS.webhookUrl} must be an http(s) URL, got ${JSON.stringify(webhookUrl)}`,
    );
  }
  const apiUrlRaw = props[REGISTRATION_PROPS.apiUrl];
  const apiUrl = apiUrlRaw === undefined || apiUrlRaw === '' ? DEFAULT_VOLT_API_URL : apiUrlRaw;
  if (typeof apiUrl !== 'string' || !isWebUrl(apiUrl)) {
    throw new InvalidPropertiesError(
      `${label}.${REGISTRATION_PROPS.apiUrl} must be an http(s) URL, got ${JSON.stringify(apiUrlRaw)}`,
    );
  }
  const phone = props[REGISTRATION_PROPS.primaryPhone];
  if (phone !== undefined && phone !== '' && (typeof phone !== 'string' || !isE164(phone))) {
    throw new InvalidPropertiesError(
      `${label}.${REGISTRATION_PROPS.primaryPhone} must be an E.164 number like ${E164_EXAMPLE}, got ${JSON.stringify(phone)}`,
    );
  }
  const types = props[REGISTRATION_PROPS.eventTypes];
  if (types !== undefined && (!Array.isArray(types) || !types.every((t) => typeof t === 'string' && t !== ''))) {
    throw new InvalidPropertiesError(`${label}.${REGISTRATION_PROPS.eventTypes} must be a list of event type names`);
  }
  return {
    webhookUrl,
    apiUrl,
    ...(typeof phone === 'string' && phone !== '' ? { primaryPhone: phone } : {}),
    ...(Array.isArray(types) && types.length > 0 ? { eventTypes: types as string[] } : {}),
  };
}

function sameEventTypes(a: readonly string[] | null | undefined, b: readonly string[] | undefined): boolean {
  const left = [...(a ?? [])].sort();
  const right = [...(b ?? [])].sort();
  return left.length === right.length && left.every((t, i) => t === right[i]);
}

/** True when an existing registration already is what the properties ask for. */
function matchesOptions(webhook: VoltWebhook, props: RegistrationProperties): boolean {
  return (
    (webhook.primaryPhone ?? undefined) === props.primaryPhone && sameEventTypes(webhook.eventTypes, props.eventTypes)
  );
}

function changed(before: RegistrationProperties, after: RegistrationProperties): boolean {
  return (
    before.webhookUrl !== after.webhookUrl ||
    before.apiUrl !== after.apiUrl ||
    before.primaryPhone !== after.primaryPhone ||
    !sameEventTypes(before.eventTypes, after.eventTypes)
  );
}

/** Every Create and Update answers the attribute: a stack output reading a missing one fails the deploy. */
function result(webhook: Pick<VoltWebhook, 'id' | 'url'>, probe: string): OnEventResult {
  return {
    PhysicalResourceId: webhook.id,
    Data: { WebhookId: webhook.id, WebhookUrl: webhook.url, [PROBE_SIGNATURE_ATTRIBUTE]: probe },
  };
}

/** A registration found or made, with what its probe looked like. */
interface Registered {
  readonly webhook: VoltWebhook;
  readonly probe: string;
}

/**
 * Calls `registerWebhook` inside the registration window: opened first, then a pause longer than
 * the ingest's cache of it, so no instance still answers Volt's probe as if it were closed;
 * always closed afterwards, whatever happened, with the same pause.
 */
async function registerInWindow(
  register: () => Promise<VoltWebhook>,
  deps: RegistrationDeps,
  sleep: (ms: number) => Promise<void>,
  now: () => number,
): Promise<Registered> {
  const window = deps.window;
  if (!window) return { webhook: await register(), probe: 'not watched (no registration window)' };
  await window.open(Math.min(now() + MAX_WINDOW_MS, deps.deadline));
  try {
    await sleep(WINDOW_CACHE_MS + 500);
    const webhook = await register();
    const outcome = await window.probe();
    const probe = describeProbe(outcome);
    const fields = { webhookId: webhook.id, probe, ...(outcome ? { outcome } : {}) };
    if (outcome?.result === 'verified') deps.log.info('Volt probe signature', fields);
    else deps.log.warn('Volt probe signature', fields);
    return { webhook, probe };
  } finally {
    await window.close();
    // And as long again before answering: once the deploy moves on, no instance still believes it open.
    await sleep(WINDOW_CACHE_MS + 500);
  }
}

/**
 * Finds a registration of the URL to adopt, or registers one. `registerWebhook` is not
 * idempotent, so it is sent without the client's own retries: after a transient failure the
 * list is read again first, in case the failed attempt did register, and only then retried.
 */
async function adoptOrRegister(
  props: RegistrationProperties,
  deps: RegistrationDeps,
  exceptId?: string,
): Promise<Registered> {
  const client = deps.clientFor(props.apiUrl);
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  if (deps.waitForEndpoint && !(await deps.waitForEndpoint(props.webhookUrl, deps.deadline))) {
    deps.log.warn('the webhook URL did not answer before registering; registering anyway', { url: props.webhookUrl });
  }
  for (let attempt = 1; ; attempt += 1) {
    const existing = (await listOrEmpty(client, deps)).filter((w) => w.url === props.webhookUrl && w.id !== exceptId);
    const adopted = existing.find((w) => matchesOptions(w, props)) ?? existing[0];
    if (adopted) {
      deps.log.info('adopting the existing registration of this URL', { webhookId: adopted.id, url: adopted.url });
      if (!matchesOptions(adopted, props)) {
        deps.log.warn(
          'the adopted registration has other primaryPhone/eventTypes than configured; Volt has no update operation',
          {
            webhookId: adopted.id,
            registered: { primaryPhone: adopted.primaryPhone ?? null, eventTypes: adopted.eventTypes ?? null },
          },
        );
      }
      if (existing.length > 1) {
        deps.log.warn(
          'Volt holds more than one registration of this URL: each event will arrive once per registration',
          {
            webhookIds: existing.map((w) => w.id),
          },
        );
      }
      return { webhook: adopted, probe: 'not probed (adopted an existing registration)' };
    }
    try {
      const registered = await registerInWindow(
        () =>
          client.registerWebhook(
            {
              url: props.webhookUrl,
              ...(props.primaryPhone !== undefined ? { primaryPhone: props.primaryPhone } : {}),
              ...(props.eventTypes !== undefined ? { eventTypes: props.eventTypes } : {}),
            },
            { retry: false },
          ),
        deps,
        sleep,
        now,
      );
      deps.log.info('registered the webhook with Volt', {
        webhookId: registered.webhook.id,
        url: registered.webhook.url,
      });
      return registered;
    } catch (err: unknown) {
      if (!(err instanceof VoltApiError) || !err.retryable) throw err;
      const delayMs = Math.max(
        backoffDelay(attempt, deps.baseDelayMs ?? 500, deps.maxDelayMs ?? 8000),
        (err.retryAfterSeconds ?? 0) * 1000,
      );
      if (now() + delayMs >= deps.deadline) {
        throw new VoltApiError(
          `registerWebhook still failing after ${attempt} attempts, out of time: ${err.message}`,
          true,
          err.status,
        );
      }
      deps.log.warn('registerWebhook failed, checking and retrying', { attempt, delayMs, reason: err.message });
      await sleep(delayMs);
    }
  }
}

/** Lists the registrations; an API without the `webhooks` query means nothing can be adopted. */
async function listOrEmpty(client: VoltWebhookApi, deps: RegistrationDeps): Promise<VoltWebhook[]> {
  try {
    return await client.listWebhooks();
  } catch (err: unknown) {
    if (err instanceof VoltGraphQLError && err.isUnsupported('webhooks')) {
      deps.log.warn('the Volt API has no webhooks query; registering without looking for an existing registration');
      return [];
    }
    throw err;
  }
}

/** Deletes a registration; a webhook that is gone, or an API without `deleteWebhook`, is a warning, not a failure. */
async function deleteRegistration(id: string, apiUrl: string, deps: RegistrationDeps): Promise<void> {
  try {
    await deps.clientFor(apiUrl).deleteWebhook(id);
    deps.log.info('deleted the webhook registration', { webhookId: id });
  } catch (err: unknown) {
    if (err instanceof VoltGraphQLError && err.isNotFound) {
      deps.log.warn('the webhook registration was already gone', { webhookId: id, volt: err.message });
      return;
    }
    if (err instanceof VoltGraphQLError && err.isUnsupported('deleteWebhook')) {
      deps.log.warn('the Volt API cannot delete webhooks; remove this registration in Volt yourself', {
        webhookId: id,
        volt: err.message,
      });
      return;
    }
    throw err;
  }
}

/** Handles one CloudFormation request for the `Custom::VoltWebhookRegistration` resource. */
export async function handleRegistrationEvent(
  event: CloudFormationCustomResourceEvent,
  deps: RegistrationDeps,
): Promise<OnEventResult> {
  switch (event.RequestType) {
    case 'Create': {
      const props = parseProperties(event.ResourceProperties);
      const registered = await adoptOrRegister(props, deps);
      return result(registered.webhook, registered.probe);
    }
    case 'Update': {
      const props = parseProperties(event.ResourceProperties);
      const oldId = event.PhysicalResourceId;
      let before: RegistrationProperties | undefined;
      try {
        before = parseProperties(event.OldResourceProperties, 'OldResourceProperties');
      } catch (err: unknown) {
        if (!(err instanceof InvalidPropertiesError)) throw err;
      }
      if (before && !changed(before, props)) {
        deps.log.info('nothing Volt knows about changed; keeping the registration', { webhookId: oldId });
        return result({ id: oldId, url: props.webhookUrl }, 'not probed (registration unchanged)');
      }
      // New first, so events keep flowing; for a moment both may deliver (receivers dedupe on the event id).
      const registered = await adoptOrRegister(props, deps, oldId);
      if (registered.webhook.id !== oldId) await deleteRegistration(oldId, before?.apiUrl ?? props.apiUrl, deps);
      return result(registered.webhook, registered.probe);
    }
    case 'Delete': {
      const apiUrl = parseApiUrlLeniently(event.ResourceProperties);
      await deleteRegistration(event.PhysicalResourceId, apiUrl, deps);
      return { PhysicalResourceId: event.PhysicalResourceId };
    }
    default: {
      const unknown: { RequestType?: unknown } = event;
      throw new InvalidPropertiesError(`unknown RequestType ${String(unknown.RequestType)}`);
    }
  }
}

/** A Delete must not fail on properties a later version would reject; only the API URL is needed. */
function parseApiUrlLeniently(raw: Record<string, unknown> | undefined): string {
  const value = raw?.[REGISTRATION_PROPS.apiUrl];
  return typeof value === 'string' && isWebUrl(value) ? value : DEFAULT_VOLT_API_URL;
}

/**
 * Waits until the URL answers a POST with anything but 404 (API Gateway's answer while the
 * route is not yet deployed) or a network error. It is marked as our own check, so the ingest
 * refuses it (401) without quarantining it or logging a warning, and nothing is enqueued.
 * Gives up after `maxWaitMs` or at the deadline.
 */
export async function waitForEndpoint(
  url: string,
  deadline: number,
  options: {
    readonly maxWaitMs?: number;
    readonly intervalMs?: number;
    readonly fetch?: typeof fetch;
    readonly now?: () => number;
  } = {},
): Promise<boolean> {
  const now = options.now ?? Date.now;
  const fetchImpl = options.fetch ?? fetch;
  const until = Math.min(deadline - 30_000, now() + (options.maxWaitMs ?? 60_000));
  for (;;) {
    try {
      const response = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SELF_CHECK_HEADER]: 'readiness' },
        body: SELF_CHECK_BODY,
        signal: AbortSignal.timeout(5000),
      });
      await response.arrayBuffer();
      if (response.status !== 404) return true;
    } catch {
      // Not reachable yet (DNS or connection): wait and ask again.
    }
    if (now() + (options.intervalMs ?? 2000) >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 2000));
  }
}
