import { createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';

/** A signing key registered with the emulator, as a developer account registers a .p8 key with Apple. */
export interface ApnsEmulatorKey {
  teamId: string;
  keyId: string;
  publicKeyPem: string;
  /** Bundle ids this team may push to; absent = any. */
  topics?: string[];
}

/** The credentials an APNs adapter needs for a key created by the emulator (snake_case like the provider config). */
export interface ApnsProviderKey {
  team_id: string;
  key_id: string;
  /** PKCS#8 PEM, the format of the .p8 file Apple hands out. */
  private_key: string;
}

export interface VerifiedToken {
  teamId: string;
  keyId: string;
  /** Seconds since the epoch, as in the token. */
  iat: number;
}

export type TokenCheck = { ok: true; token: VerifiedToken } | { ok: false; reason: 'MissingProviderToken' | 'InvalidProviderToken' };

const CACHE_LIMIT = 4096;

/**
 * Verifies provider JWTs the way APNs does: ES256 over header.claims with the team's registered
 * key. Tokens are verified once and cached, because a well-behaved client sends the same token
 * on every request for up to an hour; age is checked per request by the caller.
 */
export class ProviderTokenVerifier {
  private readonly keys = new Map<string, { key: KeyObject; topics?: Set<string> }>();
  private readonly verified = new Map<string, VerifiedToken>();

  add(k: ApnsEmulatorKey): void {
    const key = createPublicKey(k.publicKeyPem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error(`APNs key ${k.keyId} must be a P-256 key`);
    }
    this.keys.set(`${k.teamId}/${k.keyId}`, { key, topics: k.topics ? new Set(k.topics) : undefined });
    this.verified.clear();
  }

  /** Generates and registers a key; returns the private half as the adapter's config wants it. */
  create(opts: { teamId?: string; keyId?: string; topics?: string[] } = {}): ApnsProviderKey {
    const teamId = opts.teamId ?? appleId();
    const keyId = opts.keyId ?? appleId();
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.add({ teamId, keyId, topics: opts.topics, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    return { team_id: teamId, key_id: keyId, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  }

  topicAllowed(teamId: string, keyId: string, topic: string): boolean {
    const topics = this.keys.get(`${teamId}/${keyId}`)?.topics;
    return !topics || topics.has(topic);
  }

  check(authorization: string | undefined): TokenCheck {
    if (!authorization) return { ok: false, reason: 'MissingProviderToken' };
    const m = /^bearer\s+(\S+)$/i.exec(authorization);
    if (!m) return { ok: false, reason: 'InvalidProviderToken' };
    const jwt = m[1];
    const cached = this.verified.get(jwt);
    if (cached) return { ok: true, token: cached };
    const token = this.verifyJwt(jwt);
    if (!token) return { ok: false, reason: 'InvalidProviderToken' };
    if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
    this.verified.set(jwt, token);
    return { ok: true, token };
  }

  private verifyJwt(jwt: string): VerifiedToken | undefined {
    const parts = jwt.split('.');
    if (parts.length !== 3) return undefined;
    const header = parseJson(parts[0]);
    const claims = parseJson(parts[1]);
    if (!header || !claims) return undefined;
    if (header.alg !== 'ES256' || typeof header.kid !== 'string') return undefined;
    if (typeof claims.iss !== 'string' || typeof claims.iat !== 'number' || !Number.isFinite(claims.iat)) return undefined;
    const entry = this.keys.get(`${claims.iss}/${header.kid}`);
    if (!entry) return undefined;
    const signature = Buffer.from(parts[2], 'base64url');
    // JWS carries raw r||s (64 bytes), not DER.
    if (signature.length !== 64) return undefined;
    const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: entry.key, dsaEncoding: 'ieee-p1363' }, signature);
    return ok ? { teamId: claims.iss, keyId: header.kid, iat: claims.iat } : undefined;
  }
}

function parseJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Apple team and key ids are ten upper-case alphanumerics. */
function appleId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return Array.from(randomBytes(10), (b) => alphabet[b % alphabet.length]).join('');
}
