import { DeliveryError } from '../../domain/delivery-error.js';

/** Runs a request builder for its checks only: the message the builder refuses it with, if any. */
export function refusal(build: () => unknown): string | undefined {
  try {
    build();
    return undefined;
  } catch (err) {
    if (err instanceof DeliveryError && err.kind === 'permanent') return err.message;
    return undefined;
  }
}
