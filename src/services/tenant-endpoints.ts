import { badRequest } from '../domain/errors.js';
import { OutboundRefused } from '../domain/outbound-refused.js';
import type { OutboundGuard } from '../ports/outbound-guard.js';

const RULE =
  'Herald connects for a tenant only to public addresses: loopback, private, link-local, CGNAT, multicast, unspecified and reserved ones are refused (an operator can allow them with HERALD_ALLOW_PRIVATE_NETWORKS=1)';

/**
 * The registration half of the outbound guard (SPEC §11): a 400 `invalid_endpoint` naming `field` when
 * `host` is, or now resolves to, an address a tenant may not reach. The connection half is the same
 * guard's `lookup`, at every connection, so this check is early feedback, not the protection itself.
 * A name that does not resolve now is not refused here (its resolver error is returned for callers that
 * want one): a push service's or provider's DNS may fail for a moment, and the name is checked again
 * when Herald connects.
 */
export async function refuseNonPublicHost(guard: OutboundGuard, host: string, field: string): Promise<Error | undefined> {
  try {
    await guard.check(host);
    return undefined;
  } catch (err) {
    if (err instanceof OutboundRefused) throw badRequest('invalid_endpoint', `${field}: ${err.message}. ${RULE}.`, field);
    return err as Error;
  }
}
