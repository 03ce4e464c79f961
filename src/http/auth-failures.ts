import { isIPv4 } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../domain/errors.js';
import type { Clock } from '../ports/clock.js';

/**
 * A 401 for credentials that were presented and are wrong (unknown key or wrong secret, a malformed
 * Authorization header, a forged user token, a wrong metrics token, a refused dashboard sign-in). These
 * and only these count against the client's address: no credentials at all is not a guess, and a genuine
 * user token that expired or was revoked (secret changed, user erased) cannot be guessed, while a mobile
 * carrier's NAT may put thousands of app users behind one address.
 */
export class RefusedCredentials extends ApiError {
  constructor(message: string, scheme: 'Basic' | 'Bearer') {
    super(401, 'unauthorized', message, undefined, { 'www-authenticate': `${scheme} realm="herald"` });
  }
}

export interface FailedAuthOptions {
  /** Failures an address may make within the window before it is refused. */
  limit: number;
  windowMs: number;
  /** Addresses remembered at most; the one whose last failure is oldest goes first. */
  maxAddresses: number;
}

/** SPEC §11: 20 failed authentications a minute per client address. */
export const FAILED_AUTH_LIMIT: FailedAuthOptions = { limit: 20, windowMs: 60_000, maxAddresses: 10_000 };

/**
 * The address failures are counted under: an IPv4 address (IPv4-mapped IPv6 included) as it is, an IPv6
 * address by its /64, the smallest block a host is usually given — counting single IPv6 addresses would
 * let one host try 2⁶⁴ times as often. Without trustProxy (Herald sets none) this is the socket's peer:
 * behind a reverse proxy every client shares the proxy's address.
 */
export function clientAddress(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (isIPv4(ip) || !ip.includes(':')) return ip;
  const addr = ip.split('%')[0].toLowerCase();
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

/**
 * Failed authentications per client address, in this process (several API processes each allow the
 * limit, as with the API rate limit): the times of an address's last `limit` failures, so a window
 * slides exactly and an entry never holds more than `limit` numbers. Once an address has `limit`
 * failures within the window, every request from it that presents credentials is answered 429
 * `rate_limited` with Retry-After, without checking them — otherwise a guess that happened to be right
 * would still be told so — until the oldest of those failures leaves the window. Successes are not
 * counted and do not reset the count (a valid app's credentials must not buy guesses at another's).
 */
export class FailedAuthLimiter {
  /** Address → failure times, oldest first; the Map's order is by last failure, oldest first. */
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly opts: FailedAuthOptions = FAILED_AUTH_LIMIT,
  ) {}

  /** Whole seconds until the address may present credentials again; 0 when it may now. */
  retryAfterS(address: string): number {
    const times = this.failures.get(address);
    if (!times || times.length < this.opts.limit) return 0;
    const wait = times[0] + this.opts.windowMs - this.clock.now();
    return wait > 0 ? Math.ceil(wait / 1000) : 0;
  }

  /** The 429 for an address over the limit, or undefined when it may try. */
  refusal(address: string): ApiError | undefined {
    const s = this.retryAfterS(address);
    if (s === 0) return undefined;
    return new ApiError(429, 'rate_limited', `too many failed authentications from this address; retry in ${s} s`, undefined, { 'retry-after': String(s) });
  }

  record(address: string): void {
    const now = this.clock.now();
    const times = (this.failures.get(address) ?? []).filter((t) => now - t < this.opts.windowMs);
    times.push(now);
    if (times.length > this.opts.limit) times.splice(0, times.length - this.opts.limit);
    // Re-inserted at the end, so the Map stays ordered by last failure.
    this.failures.delete(address);
    this.forget(now);
    this.failures.set(address, times);
  }

  /** Addresses remembered now (for tests of the bound). */
  get size(): number {
    return this.failures.size;
  }

  /**
   * An authenticator behind the limit: a request that presents credentials from an address over it is
   * refused before they are checked; a RefusedCredentials it throws is counted. A request without an
   * Authorization header is left to the authenticator (its 401 is not counted).
   */
  guard(authenticate: (req: FastifyRequest) => Promise<void>): (req: FastifyRequest) => Promise<void> {
    return async (req) => {
      if (!req.headers.authorization) return authenticate(req);
      const address = clientAddress(req.ip);
      const refused = this.refusal(address);
      if (refused) throw refused;
      try {
        await authenticate(req);
      } catch (err) {
        if (err instanceof RefusedCredentials) this.record(address);
        throw err;
      }
    };
  }

  /** Drops, oldest first, addresses whose failures have all left the window, and any beyond the cap. */
  private forget(now: number): void {
    for (const [address, times] of this.failures) {
      const stale = now - times[times.length - 1] >= this.opts.windowMs;
      if (!stale && this.failures.size < this.opts.maxAddresses) break;
      this.failures.delete(address);
    }
  }
}
