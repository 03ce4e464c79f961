import { DeliveryError, type DeliveryErrorKind } from './delivery-error.js';
import { classifyAddress } from './ip-ranges.js';

/**
 * A connection Herald would have made for a tenant (webhook, web push endpoint, provider endpoint) was
 * refused because its address is not public (SPEC §11). Thrown by the outbound guard before any socket
 * is opened, at registration and again at connect time; adapters turn it into a DeliveryError whose
 * providerCode is `invalid_endpoint`, routes into a 400 `invalid_endpoint`.
 */
export class OutboundRefused extends Error {
  readonly code = 'ERR_OUTBOUND_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefused';
  }
}

/**
 * Throws OutboundRefused unless every address `host` stands for is public. The message names the range
 * but, for a name, not the address it resolved to: tenants read these messages, and the addresses of
 * Herald's private network are not theirs to learn.
 */
export function refuseUnlessPublic(host: string, addresses: readonly string[]): void {
  if (addresses.length === 0) throw new OutboundRefused(`${host} resolves to no address`);
  for (const a of addresses) {
    const cls = classifyAddress(a);
    if (cls) throw new OutboundRefused(host === a ? `${a} is a ${cls} address` : `${host} resolves to a ${cls} address`);
  }
}

/**
 * The refusal inside an error a client library wrapped (undici, node:http2 and nodemailer pass a socket's
 * error on as it is or as the `cause` of their own), or undefined when the failure was something else.
 */
export function outboundRefusal(err: unknown): OutboundRefused | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof OutboundRefused) return e;
    if ((e as { code?: unknown }).code === 'ERR_OUTBOUND_REFUSED') return new OutboundRefused(String((e as { message?: unknown }).message));
  }
  return undefined;
}

/**
 * An adapter's failure as a refused endpoint, when that is what it was: `permanent` for a provider's
 * endpoint (its configuration is wrong; retrying changes nothing), `invalid_recipient` for a web push
 * subscription (the device is retired). Undefined for any other failure.
 */
export function refusedEndpointError(what: string, err: unknown, kind: Extract<DeliveryErrorKind, 'permanent' | 'invalid_recipient'> = 'permanent'): DeliveryError | undefined {
  const refused = outboundRefusal(err);
  return refused && new DeliveryError(kind, `${what}: endpoint refused: ${refused.message}`, { providerCode: 'invalid_endpoint', cause: err });
}
