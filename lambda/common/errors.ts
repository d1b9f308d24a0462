/**
 * Domain errors. Handlers map these to responses at the edge; everything else is a bug
 * (and, in the ingest function, a 503 so that Volt retries instead of losing the event).
 */
export class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request carries no signature, or one that no trusted key verifies. */
export class SignatureRejectedError extends DomainError {
  constructor(
    message: string,
    /** Short machine-readable reason, used for metrics and logs. */
    public readonly reason: string,
  ) {
    super(message);
  }
}

/** No trusted public key could be obtained, so nothing can be verified (fail closed). */
export class KeysUnavailableError extends DomainError {}

/** A correctly signed body that is not a usable webhook envelope. */
export class InvalidEventError extends DomainError {}

/** The body is larger than the documented limit. */
export class PayloadTooLargeError extends DomainError {}

/** A configuration value is missing or malformed. */
export class ConfigurationError extends DomainError {}
