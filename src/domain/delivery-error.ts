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

/** What a recorded error (delivery events, last_error, the log) holds at most: providers' answers are not ours to copy whole. */
const MAX_MESSAGE = 300;
const MAX_CODE = 64;

const oneLine = (s: string) => s.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim();
const clamp = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/**
 * A provider's error message as Herald records it (SPEC §11): only a string field the adapter parsed
 * from the vendor's error format, on one line, at most `max` characters — never the raw body of
 * whatever server answered (an endpoint override can point anywhere).
 */
export function vendorText(v: unknown, max = 200): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = oneLine(v);
  return t ? clamp(t, max) : undefined;
}

/** A provider's error code (`BadDeviceToken`, `UNREGISTERED`, `personalizations.0.to`): an identifier or nothing. */
export function vendorCode(v: unknown): string | undefined {
  return typeof v === 'string' && /^[A-Za-z0-9_.:\-[\]]{1,64}$/.test(v) ? v : undefined;
}

export class DeliveryError extends Error {
  readonly kind: DeliveryErrorKind;
  readonly retryAfterMs?: number;
  readonly providerCode?: string;
  readonly status?: number;
  readonly optedOut: boolean;

  constructor(kind: DeliveryErrorKind, message: string, opts: DeliveryErrorOptions = {}) {
    // Bounded here as well as in each adapter, so no path records more than a short line.
    super(clamp(oneLine(message), MAX_MESSAGE), { cause: opts.cause });
    this.name = 'DeliveryError';
    this.kind = kind;
    this.retryAfterMs = opts.retryAfterMs;
    this.providerCode = opts.providerCode === undefined ? undefined : clamp(oneLine(opts.providerCode), MAX_CODE);
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
