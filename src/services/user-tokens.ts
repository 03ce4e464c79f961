import { hkdfSync } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';

export interface UserTokenClaims {
  appId: string;
  userId: string;
}

const AUDIENCE = 'herald:me';

/**
 * Short-lived tokens for client apps (mobile, browser): an HS256 JWT under a key derived from
 * HERALD_SECRET_KEY, naming one app and one user, good only for the /v1/me routes. jose checks the
 * signature in constant time and the expiry.
 */
export class UserTokens {
  private readonly key: Uint8Array;

  constructor(masterKey: Buffer) {
    this.key = new Uint8Array(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'herald user tokens v1', 32));
  }

  async issue(c: UserTokenClaims, ttlSeconds: number, now: number): Promise<{ token: string; expires_at: string }> {
    const iat = Math.floor(now / 1000);
    const exp = iat + ttlSeconds;
    const token = await new SignJWT({ app: c.appId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(c.userId)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expires_at: new Date(exp * 1000).toISOString() };
  }

  /** The claims, or undefined for a forged, altered, expired or foreign token. */
  async verify(token: string, now: number): Promise<UserTokenClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], audience: AUDIENCE, currentDate: new Date(now) });
      if (typeof payload.sub !== 'string' || typeof payload.app !== 'string') return undefined;
      return { appId: payload.app, userId: payload.sub };
    } catch (err) {
      if (err instanceof errors.JOSEError || err instanceof TypeError) return undefined;
      throw err;
    }
  }
}
