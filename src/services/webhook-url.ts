import { badRequest } from '../domain/errors.js';
import type { OutboundGuard } from '../ports/outbound-guard.js';
import { refuseNonPublicHost } from './tenant-endpoints.js';

/**
 * A webhook URL as given to `PUT /v1/webhooks/{id}`: absolute http(s), no credentials in it, a host
 * that resolves, and one the outbound guard allows (400 `invalid_endpoint` otherwise; WHATWG parsing
 * has already turned `http://2130706433/` into 127.0.0.1). It is checked again at each send, on the
 * connection itself (webhook-sender.ts), since DNS answers change.
 */
export async function validateWebhookUrl(raw: string, guard: OutboundGuard): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest('invalid_webhook_url', 'url must be an absolute http:// or https:// URL', 'url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('invalid_webhook_url', 'url must use http or https', 'url');
  if (url.username || url.password) throw badRequest('invalid_webhook_url', 'url must not carry credentials; sign with the secret instead', 'url');
  if (url.hash) throw badRequest('invalid_webhook_url', 'url must not have a #fragment', 'url');
  const unresolved = await refuseNonPublicHost(guard, url.hostname, 'url');
  if (unresolved) throw badRequest('invalid_webhook_url', `the host ${url.hostname} does not resolve: ${unresolved.message}`, 'url');
  return url;
}
