import { createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';

/** A service account whose assertions the emulator's token endpoint accepts. */
export interface FcmEmulatorAccount {
  clientEmail: string;
  publicKeyPem: string;
  projectId: string;
  /** When set, an assertion's `kid` must name it, as Google checks. */
  privateKeyId?: string;
}

/** The Google service-account JSON, as a developer downloads it (the adapter's `service_account`). */
export interface FcmServiceAccountJson {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  token_uri: string;
}

export interface IssuedToken {
  clientEmail: string;
  projectId: string;
  scopes: Set<string>;
  expiresAt: number;
}

export type OAuthResult =
  | { ok: true; body: { access_token: string; expires_in: number; token_type: 'Bearer' } }
  | { ok: false; status: number; body: { error: string; error_description: string } };

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const MESSAGING_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
export const CLOUD_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const SHORT_LIVED = 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';

/**
 * Google's OAuth 2.0 JWT-bearer grant (RFC 7523) as the FCM adapter uses it: a service account
 * signs an RS256 assertion, the token endpoint verifies it and issues a bearer access token.
 */
export class OAuthIssuer {
  requests = 0;
  issued = 0;
  private readonly accounts = new Map<string, FcmEmulatorAccount & { key: KeyObject }>();
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(
    private readonly tokenUri: () => string,
    private readonly now: () => number,
    private readonly ttlSec: number,
  ) {}

  add(account: FcmEmulatorAccount): void {
    const key = createPublicKey(account.publicKeyPem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('service account keys are RSA');
    this.accounts.set(account.clientEmail, { ...account, key });
  }

  create(projectId: string): FcmServiceAccountJson {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const id = randomBytes(20).toString('hex');
    const clientEmail = `herald-${id.slice(0, 8)}@${projectId}.iam.gserviceaccount.com`;
    this.add({ clientEmail, projectId, privateKeyId: id, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    return {
      type: 'service_account',
      project_id: projectId,
      private_key_id: id,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: clientEmail,
      client_id: String(BigInt(`0x${id.slice(0, 15)}`)),
      token_uri: this.tokenUri(),
    };
  }

  /** Looks up a bearer token; expired ones are forgotten. */
  lookup(accessToken: string): IssuedToken | undefined {
    const t = this.tokens.get(accessToken);
    if (t && t.expiresAt <= this.now()) {
      this.tokens.delete(accessToken);
      return undefined;
    }
    return t;
  }

  revokeAll(): void {
    this.tokens.clear();
  }

  grant(form: URLSearchParams): OAuthResult {
    if (form.get('grant_type') !== JWT_BEARER) {
      return fail(400, 'unsupported_grant_type', `Invalid grant_type: ${form.get('grant_type') ?? ''}`);
    }
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return fail(400, 'invalid_grant', 'Invalid JWT Signature.');
    const header = json(parts[0]);
    const claims = json(parts[1]);
    if (!header || !claims || header.alg !== 'RS256') return fail(400, 'invalid_grant', 'Invalid JWT Signature.');
    const account = typeof claims.iss === 'string' ? this.accounts.get(claims.iss) : undefined;
    if (!account) return fail(400, 'invalid_grant', 'Invalid grant: account not found');
    if (account.privateKeyId && header.kid !== undefined && header.kid !== account.privateKeyId) {
      return fail(400, 'invalid_grant', 'Invalid JWT Signature.');
    }
    const signed = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), account.key, Buffer.from(parts[2], 'base64url'));
    if (!signed) return fail(400, 'invalid_grant', 'Invalid JWT Signature.');
    if (claims.aud !== this.tokenUri()) return fail(400, 'invalid_grant', 'Invalid JWT: Failed audience check.');
    const { iat, exp } = claims;
    const nowSec = this.now() / 1000;
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp - iat > 3600 || exp <= nowSec || iat > nowSec + 300) {
      return fail(400, 'invalid_grant', SHORT_LIVED);
    }
    const scopes = new Set(typeof claims.scope === 'string' ? claims.scope.split(/\s+/).filter(Boolean) : []);
    if (scopes.size === 0) return fail(400, 'invalid_scope', 'Empty or missing scope not allowed.');
    const accessToken = `ya29.${randomBytes(48).toString('base64url')}`;
    this.tokens.set(accessToken, { clientEmail: account.clientEmail, projectId: account.projectId, scopes, expiresAt: this.now() + this.ttlSec * 1000 });
    this.issued++;
    return { ok: true, body: { access_token: accessToken, expires_in: this.ttlSec, token_type: 'Bearer' } };
  }
}

function fail(status: number, error: string, description: string): OAuthResult {
  return { ok: false, status, body: { error, error_description: description } };
}

function json(segment: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
