import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { badRequest } from '../domain/errors.js';
import { classifyAddress } from '../domain/ip-ranges.js';

/** Why a webhook address was refused; the message names the address and its range. */
export class AddressNotAllowed extends Error {}

const bareHost = (hostname: string) => (hostname.startsWith('[') ? hostname.slice(1, -1) : hostname);

function check(host: string, addresses: readonly string[]): void {
  for (const a of addresses) {
    const cls = classifyAddress(a);
    if (cls) throw new AddressNotAllowed(host === a ? `${a} is a ${cls} address` : `${host} resolves to ${a}, a ${cls} address`);
  }
}

function resolveAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (err, addrs) => (err ? reject(err) : resolve(addrs))));
}

/**
 * `lookup` for the webhook's socket: every address the name resolves to must be public, and the
 * connection goes to one of exactly those addresses, so a name that answers a public address to the
 * check and a private one to the connection (DNS rebinding) gets nowhere.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true, verbatim: true }, (err, addrs: LookupAddress[]) => {
    if (err) return callback(err, '', 4);
    try {
      check(hostname, addrs.map((a) => a.address));
    } catch (e) {
      return callback(e as Error, '', 4);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addrs);
    callback(null, addrs[0].address, addrs[0].family);
  });
};

/** Throws AddressNotAllowed unless the host is a public literal or every address it resolves to is public. */
export async function assertPublicHost(hostname: string): Promise<void> {
  const host = bareHost(hostname);
  check(host, isIP(host) ? [host] : (await resolveAll(host)).map((a) => a.address));
}

/**
 * A webhook URL as given to `PUT /v1/webhooks/{id}`: absolute http(s), no credentials in it, and (unless
 * the operator allows private addresses) a host whose every address is public at this moment. It is
 * checked again at each send, since DNS answers change.
 */
export async function validateWebhookUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest('invalid_webhook_url', 'url must be an absolute http:// or https:// URL', 'url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('invalid_webhook_url', 'url must use http or https', 'url');
  if (url.username || url.password) throw badRequest('invalid_webhook_url', 'url must not carry credentials; sign with the secret instead', 'url');
  if (url.hash) throw badRequest('invalid_webhook_url', 'url must not have a #fragment', 'url');
  if (allowPrivate) return url;
  try {
    await assertPublicHost(url.hostname);
  } catch (err) {
    if (err instanceof AddressNotAllowed) {
      throw badRequest('webhook_url_not_allowed', `${err.message}; webhooks may not reach loopback, private, link-local, CGNAT, multicast or reserved addresses (the operator can allow them with HERALD_WEBHOOK_ALLOW_PRIVATE=1)`, 'url');
    }
    throw badRequest('invalid_webhook_url', `the host ${url.hostname} does not resolve: ${(err as Error).message}`, 'url');
  }
  return url;
}
