import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { request, type Dispatcher } from 'undici';
import { DeliveryError, vendorCode, vendorText } from '../../../domain/delivery-error.js';
import { transportError } from './errors.js';

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

export interface AccessToken {
  value: string;
  expiresAt: number;
}

export interface ServiceAccountKey {
  clientEmail: string;
  privateKeyPem: string;
  privateKeyId?: string;
  tokenUri: string;
}

/** Refresh this long before Google's expiry, so a token never dies in flight. */
const EARLY_MS = 60_000;
/** …and stop sending an old token this close to its expiry. */
const LAST_USE_MS = 10_000;
/** A rejected grant is a configuration problem: don't re-ask on every send. */
const FAILURE_HOLD_MS = 5_000;

/**
 * The OAuth2 access token of the JWT-bearer grant, cached until a minute before expiry and
 * shared by every send: concurrent sends wait on one token request rather than each making one.
 */
export class AccessTokenCache {
  fetches = 0;
  private readonly key: KeyObject;
  private current?: AccessToken;
  private pending?: Promise<AccessToken>;
  private failure?: { error: DeliveryError; until: number };

  constructor(
    private readonly account: ServiceAccountKey,
    private readonly dispatcher: Dispatcher,
    private readonly now: () => number,
    private readonly timeoutMs: number,
  ) {
    this.key = createPrivateKey(account.privateKeyPem);
    if (this.key.asymmetricKeyType !== 'rsa') throw new Error('FCM service_account.private_key must be an RSA key');
  }

  /** The cached token while it has more than a minute left; the hot path, without a promise. */
  fresh(): AccessToken | undefined {
    const c = this.current;
    return c && this.now() < c.expiresAt - EARLY_MS ? c : undefined;
  }

  get(): Promise<AccessToken> {
    const c = this.current;
    const now = this.now();
    if (c && now < c.expiresAt - EARLY_MS) return Promise.resolve(c);
    // In its last minute the old token still serves while the new one is fetched in the background.
    if (c && now < c.expiresAt - LAST_USE_MS) {
      this.refresh().catch(() => undefined);
      return Promise.resolve(c);
    }
    if (this.failure && now < this.failure.until) return Promise.reject(this.failure.error);
    return this.refresh();
  }

  private refresh(): Promise<AccessToken> {
    this.pending ??= this.fetch().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** FCM refused `token` (401): forget it unless a concurrent send already replaced it. */
  invalidate(token: AccessToken): void {
    if (this.current === token) this.current = undefined;
  }

  private async fetch(): Promise<AccessToken> {
    this.fetches++;
    const iat = Math.floor(this.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', ...(this.account.privateKeyId ? { kid: this.account.privateKeyId } : {}) };
    const assertion = await new SignJWT({ scope: FCM_SCOPE })
      .setProtectedHeader(header)
      .setIssuer(this.account.clientEmail)
      .setAudience(this.account.tokenUri)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .sign(this.key);
    const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString();
    let res: Dispatcher.ResponseData;
    try {
      res = await request(this.account.tokenUri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
        dispatcher: this.dispatcher,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (err) {
      throw transportError(err, 'FCM OAuth');
    }
    const text = await res.body.text();
    const body = safeJson(text) as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown };
    if (res.statusCode === 200 && typeof body.access_token === 'string') {
      const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 3599;
      this.current = { value: body.access_token, expiresAt: this.now() + expiresIn * 1000 };
      this.failure = undefined;
      return this.current;
    }
    // OAuth's own error fields (RFC 6749 §5.2) only: token_uri can be any server.
    const code = vendorCode(body.error) ?? `HTTP${res.statusCode}`;
    const description = vendorText(body.error_description);
    const detail = description ? `: ${description}` : '';
    // 4xx from the token endpoint (invalid_grant, invalid_client…) means bad credentials or clock.
    const kind = res.statusCode >= 500 || res.statusCode === 429 ? 'retryable' : 'permanent';
    const error = new DeliveryError(kind, `FCM OAuth ${code}${detail}`, { providerCode: code, status: res.statusCode });
    if (kind === 'permanent') this.failure = { error, until: this.now() + FAILURE_HOLD_MS };
    throw error;
  }
}

function safeJson(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
