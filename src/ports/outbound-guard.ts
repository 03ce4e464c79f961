import type { LookupFunction } from 'node:net';

/**
 * The one gate every connection made on a tenant's behalf goes through (SPEC §11, ARCHITECTURE "Outbound
 * guard"): webhooks, web push subscription endpoints, provider endpoint overrides (APNs, FCM and its
 * OAuth `token_uri`, Twilio, Vonage, SendGrid) and the SMTP host. A tenant could otherwise make Herald
 * call its own host, the cloud metadata service or the private network it runs in, with the app's
 * provider credentials attached.
 *
 * The implementation (src/outbound/guard.ts) resolves names itself; callers connect to the address it
 * answers, never to the name again, so a name that answers public to one question and private to the
 * next (DNS rebinding) gets nowhere. Refusals are `OutboundRefused` (src/domain/outbound-refused.ts).
 * The built-in sandbox emulators are the operator's, not a tenant's: their adapters get no guard.
 */
export interface OutboundGuard {
  /** HERALD_ALLOW_PRIVATE_NETWORKS=1: loopback and private addresses are allowed (names are still resolved here). */
  readonly allowsPrivate: boolean;
  /**
   * A node:net `lookup`, for literal addresses too (which node:net never hands to a lookup, so callers
   * call this one themselves before connecting): answers only addresses a tenant may reach, else
   * calls back with an OutboundRefused. Resolution errors (ENOTFOUND…) pass through as they are.
   */
  readonly lookup: LookupFunction;
  /** The same check now, for registration: rejects with OutboundRefused, or with the resolver's error (resolves at once when private networks are allowed). */
  check(host: string): Promise<void>;
}
