/**
 * The registration window: a short time, opened by the registration function around its
 * `registerWebhook` call, in which the ingest answers Volt's test request ("the probe") with a
 * 2xx even when it fails verification, so that an unconfirmed signing scheme cannot make the
 * first deploy fail. Nothing in the window reaches a delivery target; the probe is only
 * quarantined, and what its signature looked like is written back for the registration to
 * report. Shared by the ingest, the registration function, the construct and the CLI; no AWS
 * client here. Why this is safe enough: docs/registration.md, "The probe window".
 */

/** The window table's partition key attribute (String). */
export const WINDOW_KEY_ATTRIBUTE = 'id';
/** The one item the table holds while a registration runs. */
export const WINDOW_ITEM_KEY = 'registration';
/** Epoch milliseconds until which the window is open. */
export const WINDOW_OPEN_UNTIL_ATTRIBUTE = 'openUntil';
/** Epoch seconds after which DynamoDB's TTL removes an item a crashed registration left behind. */
export const WINDOW_EXPIRES_AT_ATTRIBUTE = 'expiresAt';
/** The probe's outcome, a JSON string of {@link ProbeOutcome}, written by the ingest. */
export const WINDOW_PROBE_ATTRIBUTE = 'probe';

/** Environment variable naming the window table, on both functions. */
export const REGISTRATION_WINDOW_ENV = 'REGISTRATION_WINDOW_TABLE';

/** The longest a window stays open: Volt probes within seconds of `registerWebhook`. */
export const MAX_WINDOW_MS = 3 * 60_000;

/**
 * How long the ingest trusts what it last read about the window. The registration waits a
 * little longer than this after opening it, so that no instance still believes it closed.
 */
export const WINDOW_CACHE_MS = 2_000;

/** The `reason` of the quarantine record of a probe. */
export const PROBE_REASON = 'registration_probe';

/** What the probe's signature was, as the ingest saw it. */
export interface ProbeOutcome {
  /** `verified`, or the rejection reason (`signature_missing`, `signature_mismatch`, ...). */
  readonly result: string;
  /** Every scheme under which the signature verifies with the trusted keys (empty when none or unsigned). */
  readonly matchingSchemes: readonly string[];
  /** The scheme the stack is configured with. */
  readonly configuredScheme: string;
  readonly receivedAt: string;
}

/** One line for the log, the stack output and `doctor`. */
export function describeProbe(outcome: ProbeOutcome | undefined): string {
  if (outcome === undefined) return 'no probe received during registration';
  if (outcome.result === 'verified') return `verified with the configured scheme ${outcome.configuredScheme}`;
  if (outcome.result === 'signature_missing') return 'unsigned (no signature header)';
  const others = outcome.matchingSchemes.filter((s) => s !== outcome.configuredScheme);
  if (others.length > 0)
    return `did not verify with ${outcome.configuredScheme}; verifies with ${others.join(', ')} (set signatureScheme)`;
  return `did not verify with ${outcome.configuredScheme} (${outcome.result}), nor with any other scheme`;
}

/** Parses what the ingest wrote; `undefined` for anything else. */
export function parseProbeOutcome(text: string | undefined): ProbeOutcome | undefined {
  if (text === undefined) return undefined;
  try {
    const o = JSON.parse(text) as Partial<ProbeOutcome> | null;
    if (!o || typeof o.result !== 'string') return undefined;
    return {
      result: o.result,
      matchingSchemes: Array.isArray(o.matchingSchemes) ? o.matchingSchemes.filter((s) => typeof s === 'string') : [],
      configuredScheme: typeof o.configuredScheme === 'string' ? o.configuredScheme : '',
      receivedAt: typeof o.receivedAt === 'string' ? o.receivedAt : '',
    };
  } catch {
    return undefined;
  }
}

/**
 * The header our own requests carry (the readiness check before registering, `doctor`'s
 * endpoint check). A request is taken as one of ours only with this header, no signature
 * header and exactly {@link SELF_CHECK_BODY} as its body: it then still gets 401 and reaches
 * nothing, and is only left out of the quarantine and the WARN log. Anyone can send that
 * shape, but such a request carries nothing to hide.
 */
export const SELF_CHECK_HEADER = 'x-volt-webhooks-self-check';
export const SELF_CHECK_BODY = '{}';
