import { createPublicKey, verify } from 'node:crypto';

export interface VapidClaims {
  aud: string;
  exp: number;
  sub: string;
  /** The application server key (base64url, 65-byte uncompressed point) from `k=`. */
  publicKey: string;
}

export type VapidCheck = { ok: true; claims: VapidClaims } | { ok: false; status: 401 | 403; reason: string };

const DAY_S = 24 * 3600;
const CACHE_LIMIT = 1024;

/**
 * RFC 8292 VAPID: `Authorization: vapid t=<JWT>, k=<public key>`. The JWT is ES256-signed by the
 * key in `k`, its `aud` is the push service's origin and its `exp` at most 24 h ahead.
 * Signatures are verified once per header value (a sender reuses its JWT for hours).
 */
export class VapidVerifier {
  private readonly verified = new Map<string, VapidClaims>();

  constructor(
    private readonly origin: () => string,
    private readonly nowMs: () => number,
  ) {}

  check(authorization: string | undefined): VapidCheck {
    if (!authorization) return { ok: false, status: 401, reason: 'missing VAPID authorization' };
    let claims = this.verified.get(authorization);
    if (!claims) {
      const parsed = this.verify(authorization);
      if (typeof parsed === 'string') return { ok: false, status: 403, reason: parsed };
      claims = parsed;
      if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
      this.verified.set(authorization, claims);
    }
    const now = this.nowMs() / 1000;
    if (claims.exp <= now) return { ok: false, status: 403, reason: 'VAPID JWT expired' };
    if (claims.exp > now + DAY_S + 60) return { ok: false, status: 403, reason: 'VAPID JWT exp more than 24 hours ahead' };
    return { ok: true, claims };
  }

  private verify(authorization: string): VapidClaims | string {
    const m = /^vapid\s+(.*)$/i.exec(authorization.trim());
    if (!m) return 'Authorization scheme is not vapid';
    const params = new Map<string, string>();
    for (const part of m[1].split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) params.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
    }
    const jwt = params.get('t');
    const k = params.get('k');
    if (!jwt || !k) return 'vapid needs t= and k=';
    const point = Buffer.from(k, 'base64url');
    if (point.length !== 65 || point[0] !== 4) return 'k is not an uncompressed P-256 point';
    let key;
    try {
      key = createPublicKey({
        key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
        format: 'jwk',
      });
    } catch {
      return 'k is not on the P-256 curve';
    }
    const parts = jwt.split('.');
    if (parts.length !== 3) return 'malformed JWT';
    const header = json(parts[0]);
    const claims = json(parts[1]);
    if (!header || !claims || header.alg !== 'ES256') return 'JWT must be ES256';
    const signature = Buffer.from(parts[2], 'base64url');
    const valid = signature.length === 64 && verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (!valid) return 'JWT signature does not verify with k';
    if (claims.aud !== this.origin()) return `aud must be ${this.origin()}`;
    if (typeof claims.exp !== 'number') return 'exp missing';
    // RFC 8292 only recommends `sub`; Apple's service requires it, so the emulator does too.
    if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub)) return 'sub must be a mailto: or https: URI';
    return { aud: claims.aud, exp: claims.exp, sub: claims.sub, publicKey: k };
  }
}

function json(segment: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
