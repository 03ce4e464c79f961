import webpush from 'web-push';

/** VAPID JWTs live 12 h; replace them an hour early so none expires in flight. */
const LIFETIME_S = 12 * 3600;
const EARLY_S = 3600;

/**
 * One VAPID Authorization header per push-service origin (the JWT's `aud`), reused until near
 * expiry. `web-push` signs a fresh JWT per message by default, which costs an ECDSA signature
 * per send for nothing: the header is identical for every message to the same service.
 */
export class VapidHeaderCache {
  signed = 0;
  private readonly byOrigin = new Map<string, { header: string; exp: number }>();

  constructor(
    private readonly subject: string,
    private readonly publicKey: string,
    private readonly privateKey: string,
    private readonly now: () => number,
  ) {
    // Throws now, at configuration, on a bad subject or key.
    webpush.getVapidHeaders('https://example.invalid', subject, publicKey, privateKey, 'aes128gcm');
  }

  header(origin: string): string {
    const nowS = Math.floor(this.now() / 1000);
    const cached = this.byOrigin.get(origin);
    if (cached && cached.exp - EARLY_S > nowS) return cached.header;
    const exp = nowS + LIFETIME_S;
    const { Authorization } = webpush.getVapidHeaders(origin, this.subject, this.publicKey, this.privateKey, 'aes128gcm', exp);
    this.signed++;
    // Endpoints of a handful of push services only; no eviction needed beyond a sanity bound.
    if (this.byOrigin.size > 1000) this.byOrigin.clear();
    this.byOrigin.set(origin, { header: Authorization, exp });
    return Authorization;
  }
}
