import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';

export interface ProviderToken {
  jwt: string;
  /** Increments with every mint, so concurrent failures renew once rather than once each. */
  generation: number;
  mintedAt: number;
}

/**
 * The APNs provider JWT. Apple wants it reused for 20–60 minutes: a token older than an hour is
 * refused (ExpiredProviderToken) and a new one more often than every 20 minutes is throttled
 * (TooManyProviderTokenUpdates). So one token is shared by every send and replaced at `maxAgeMs`.
 */
export class ProviderTokenCache {
  minted = 0;
  private readonly key: KeyObject;
  private current?: ProviderToken;
  private pending?: Promise<ProviderToken>;

  constructor(
    private readonly teamId: string,
    private readonly keyId: string,
    privateKeyPem: string,
    private readonly now: () => number,
    private readonly maxAgeMs = 40 * 60_000,
  ) {
    // Fail when the provider is configured, not at the first send.
    this.key = createPrivateKey(privateKeyPem);
    if (this.key.asymmetricKeyType !== 'ec' || this.key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error('APNs private_key must be the P-256 key of a .p8 file');
    }
    if (!teamId || !keyId) throw new Error('APNs team_id and key_id are required');
  }

  /** The current token while it is young enough; the hot path, without a promise. */
  fresh(): ProviderToken | undefined {
    const c = this.current;
    return c && this.now() - c.mintedAt < this.maxAgeMs ? c : undefined;
  }

  get(): Promise<ProviderToken> {
    const c = this.fresh();
    return c ? Promise.resolve(c) : this.mint();
  }

  /** APNs called `stale` expired: mint a new one unless a concurrent send already has. */
  renew(stale: ProviderToken): Promise<ProviderToken> {
    const c = this.current;
    if (c && c.generation !== stale.generation) return Promise.resolve(c);
    return this.mint();
  }

  private mint(): Promise<ProviderToken> {
    this.pending ??= this.sign().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async sign(): Promise<ProviderToken> {
    const mintedAt = this.now();
    const jwt = await new SignJWT({ iss: this.teamId, iat: Math.floor(mintedAt / 1000) })
      .setProtectedHeader({ alg: 'ES256', kid: this.keyId })
      .sign(this.key);
    this.minted++;
    this.current = { jwt, generation: this.minted, mintedAt };
    return this.current;
  }
}
