import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { refuseUnlessPublic } from '../domain/outbound-refused.js';
import type { OutboundGuard } from '../ports/outbound-guard.js';

/** Every address a name stands for, in the resolver's order. */
export type Resolver = (host: string) => Promise<LookupAddress[]>;

/** The system resolver (getaddrinfo, so /etc/hosts and numeric forms such as `2130706433` count as they would for a socket). */
export const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (err, addrs) => (err ? reject(err) : resolve(addrs))));

export interface GuardOptions {
  /** config.allowPrivateNetworks (HERALD_ALLOW_PRIVATE_NETWORKS=1, alias HERALD_WEBHOOK_ALLOW_PRIVATE=1). */
  allowPrivate: boolean;
  /** Injected by tests (a name that answers public, then loopback); node:dns otherwise. */
  resolve?: Resolver;
}

const bare = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/**
 * The outbound guard (ports/outbound-guard.ts). Each call resolves afresh (no cache of its own: a
 * cached answer is one a rebinding name could have planted), checks every address the name has, and
 * answers only checked addresses, so the socket connects to exactly what was checked.
 */
export function createOutboundGuard(opts: GuardOptions): OutboundGuard {
  const resolve = opts.resolve ?? systemResolver;

  async function addresses(host: string): Promise<LookupAddress[]> {
    const h = bare(host);
    const kind = isIP(h.split('%')[0]);
    const all = kind ? [{ address: h, family: kind }] : await resolve(h);
    // A name with any private address is refused whole: which of its answers a client would use is not ours to predict.
    if (!opts.allowPrivate) refuseUnlessPublic(h, all.map((a) => a.address));
    return all;
  }

  const lookup = ((hostname: string, options: { family?: number | string; all?: boolean }, callback: (...args: unknown[]) => void) => {
    addresses(hostname).then(
      (all) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const usable = family === 4 || family === 6 ? all.filter((a) => a.family === family) : all;
        if (usable.length === 0) {
          const err = Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND', hostname });
          return options.all ? callback(err, []) : callback(err, '', 4);
        }
        if (options.all) callback(null, usable);
        else callback(null, usable[0].address, usable[0].family);
      },
      (err: unknown) => (options.all ? callback(err, []) : callback(err, '', 4)),
    );
  }) as unknown as LookupFunction;

  return {
    allowsPrivate: opts.allowPrivate,
    lookup,
    async check(host) {
      // Nothing could be refused: resolving now would only make registration wait on DNS.
      if (opts.allowPrivate) return;
      await addresses(host);
    },
  };
}
