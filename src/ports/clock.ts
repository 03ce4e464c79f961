/** Injected wherever time decides something, so tests of leases, retries and expiry run in milliseconds. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };
