/**
 * What an adapter throws when a provider call did not succeed. `kind` decides what the worker does:
 * - retryable: back to the queue with backoff (timeouts, 5xx), failover to the next provider.
 * - rate_limited: like retryable, honouring `retryAfterMs`.
 * - permanent: fail now (bad request, bad configuration).
 * - invalid_recipient: fail now and stop using the target (dead token, invalid number, opted out at the carrier).
 */
export type DeliveryErrorKind = 'retryable' | 'permanent' | 'invalid_recipient' | 'rate_limited';

export interface DeliveryErrorOptions {
  retryAfterMs?: number;
  /** The provider's own error code or reason, e.g. `BadDeviceToken`, `21211`. */
  providerCode?: string;
  /** HTTP status (or SMTP reply code) the provider answered with, when there was one. */
  status?: number;
  /** invalid_recipient only: the user opted out at the provider (Twilio 21610), so the channel preference is turned off. */
  optedOut?: boolean;
  cause?: unknown;
}

export class DeliveryError extends Error {
  readonly kind: DeliveryErrorKind;
  readonly retryAfterMs?: number;
  readonly providerCode?: string;
  readonly status?: number;
  readonly optedOut: boolean;

  constructor(kind: DeliveryErrorKind, message: string, opts: DeliveryErrorOptions = {}) {
    super(message, { cause: opts.cause });
    this.name = 'DeliveryError';
    this.kind = kind;
    this.retryAfterMs = opts.retryAfterMs;
    this.providerCode = opts.providerCode;
    this.status = opts.status;
    this.optedOut = opts.optedOut ?? false;
  }

  get transient(): boolean {
    return this.kind === 'retryable' || this.kind === 'rate_limited';
  }
}

/** Anything an adapter let escape that is not a DeliveryError is treated as a transient failure (network, bug). */
export function toDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new DeliveryError('retryable', message, { cause: err });
}
