import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';
import type { AppsRow } from '../ports/store.js';

/** The app as a token is bound to it: which app, and which of its secrets. */
export type TokenApp = Pick<AppsRow, 'id' | 'secret_hash' | 'secret_generation'>;

export interface UserTokenClaims {
  appId: string;
  userId: string;
  /** The app's secret the token was issued under (see UserTokens.current). */
  secret: string;
  /** The user row's incarnation (users.incarnation) the token was issued for. */
  incarnation: string;
}

/**
 * What a presented token turned out to be. `forged`: not made by this Herald (bad signature, not a
 * JWT at all) — the only kind that counts as a failed authentication, since anyone can send one; an
 * `expired` token was genuine once and is refused without counting against the client's address.
 */
export type TokenCheck = { ok: true; claims: UserTokenClaims } | { ok: false; reason: 'forged' | 'expired' };

const AUDIENCE = 'herald:me';

/**
 * Short-lived tokens for client apps (mobile, browser): an HS256 JWT under a key derived from
 * HERALD_SECRET_KEY, naming one app and one user, good only for the /v1/me routes. jose checks the
 * signature in constant time and the expiry.
 *
 * A token is bound to what it was issued for, not only to the ids (SPEC §11): `sg` is a MAC of the
 * app's secret generation and secret hash, so a changed secret kills every token of the old one (even
 * if the secret later goes back to an old value: the generation has moved on); `inc` is the user row's
 * incarnation, so an erased user's tokens die with the row and a new user with the same id gets a new one.
 */
export class UserTokens {
  private readonly key: Uint8Array;
  private readonly bindingKey: Buffer;

  constructor(masterKey: Buffer) {
    this.key = new Uint8Array(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'herald user tokens v1', 32));
    this.bindingKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'herald user token bindings v1', 32));
  }

  async issue(app: TokenApp, user: { id: string; incarnation: string }, ttlSeconds: number, now: number): Promise<{ token: string; expires_at: string }> {
    const iat = Math.floor(now / 1000);
    const exp = iat + ttlSeconds;
    const token = await new SignJWT({ app: app.id, sg: this.secretBinding(app), inc: user.incarnation })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expires_at: new Date(exp * 1000).toISOString() };
  }

  /** The claims of a genuine, unexpired token; whether it is still current is `current`'s question. */
  async verify(token: string, now: number): Promise<TokenCheck> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], audience: AUDIENCE, currentDate: new Date(now) });
      const { sub, app, sg, inc } = payload;
      // Signed by us but without the bindings: issued before they existed (migration 010), so refused as stale.
      if (typeof sub !== 'string' || typeof app !== 'string' || typeof sg !== 'string' || typeof inc !== 'string') return { ok: false, reason: 'expired' };
      return { ok: true, claims: { appId: app, userId: sub, secret: sg, incarnation: inc } };
    } catch (err) {
      // jose checks the signature before the claims, so a failed claim (expiry, audience) means a genuine token.
      if (err instanceof errors.JWTExpired || err instanceof errors.JWTClaimValidationFailed) return { ok: false, reason: 'expired' };
      if (err instanceof errors.JOSEError || err instanceof TypeError) return { ok: false, reason: 'forged' };
      throw err;
    }
  }

  /** Whether the token still names the app's current secret and the user row's incarnation. */
  current(claims: UserTokenClaims, app: TokenApp, incarnation: string | null | undefined): boolean {
    if (claims.appId !== app.id || !incarnation || claims.incarnation !== incarnation) return false;
    const given = Buffer.from(claims.secret);
    const want = Buffer.from(this.secretBinding(app));
    return given.length === want.length && timingSafeEqual(given, want);
  }

  private secretBinding(app: TokenApp): string {
    return createHmac('sha256', this.bindingKey).update(`${app.id}:${app.secret_generation}:${app.secret_hash}`, 'utf8').digest().subarray(0, 16).toString('base64url');
  }
}
