import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The dashboard's sign-in session, held by the browser alone: a cookie `base64url(payload) "."
 * base64url(HMAC-SHA256)` under a key derived (HKDF-SHA256) from HERALD_SECRET_KEY with its own
 * label, so it never verifies as a link token (services/link-tokens.ts) and the master key itself
 * never signs. The payload names the app, the expiry, a random session id and a binding to the app's
 * secret (a secret changed by HERALD_BOOTSTRAP_SECRET ends every session made with the old one).
 *
 * Nothing is stored server-side, so any number of `herald api` processes accept the same cookie;
 * the price is that signing out clears the browser's cookie, and a copy taken before stays valid
 * until it expires (SESSION_TTL_MS).
 *
 * CSRF: every state-changing form carries HMAC(key, "csrf:" + session id), checked in constant time;
 * the sign-in form (no session yet) carries HMAC(key, "signin:" + nonce) where the nonce is in a
 * short-lived cookie of its own (double submit), so another site cannot sign a browser in either.
 */
export const SESSION_COOKIE = 'herald_session';
export const SIGNIN_COOKIE = 'herald_signin';
export const SESSION_TTL_MS = 8 * 3600_000;
const SIGNIN_TTL_S = 3600;
const SIG_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{1,2000}\.[A-Za-z0-9_-]{43}$/;

export interface Session {
  appId: string;
  expiresAt: number;
  /** Random per sign-in; the CSRF token is derived from it. */
  sid: string;
  /** HMAC of the app's secret hash at sign-in. */
  binding: string;
}

export class DashboardSessions {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'herald dashboard sessions v1', 32));
  }

  create(appId: string, secretHash: string, now: number): { cookie: string; session: Session } {
    const session: Session = { appId, expiresAt: now + SESSION_TTL_MS, sid: randomBytes(16).toString('base64url'), binding: this.bind(secretHash) };
    const payload = Buffer.from(JSON.stringify(['s', session.appId, session.expiresAt, session.sid, session.binding]), 'utf8').toString('base64url');
    return { cookie: `${payload}.${this.mac(payload).toString('base64url')}`, session };
  }

  /** The session in a cookie value, or undefined when it is malformed, forged, altered or expired. */
  verify(value: string | undefined, now: number): Session | undefined {
    if (!value || !TOKEN_SHAPE.test(value)) return undefined;
    const dot = value.indexOf('.');
    const payload = value.slice(0, dot);
    if (!this.equal(value.slice(dot + 1), this.mac(payload))) return undefined;
    let a: unknown;
    try {
      a = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (!Array.isArray(a) || a.length !== 5 || a[0] !== 's') return undefined;
    const [, appId, expiresAt, sid, binding] = a;
    if (typeof appId !== 'string' || typeof expiresAt !== 'number' || typeof sid !== 'string' || typeof binding !== 'string') return undefined;
    if (expiresAt <= now) return undefined;
    return { appId, expiresAt, sid, binding };
  }

  /** Whether the session was made with the app's current secret. */
  boundTo(session: Session, secretHash: string): boolean {
    const a = Buffer.from(session.binding);
    const b = Buffer.from(this.bind(secretHash));
    return a.length === b.length && timingSafeEqual(a, b);
  }

  csrfToken(session: Session): string {
    return this.mac(`csrf:${session.sid}`).toString('base64url');
  }

  checkCsrf(session: Session, given: unknown): boolean {
    return typeof given === 'string' && this.equal(given, this.mac(`csrf:${session.sid}`));
  }

  newSigninNonce(): string {
    return randomBytes(16).toString('base64url');
  }

  signinToken(nonce: string): string {
    return this.mac(`signin:${nonce}`).toString('base64url');
  }

  checkSignin(nonce: string | undefined, given: unknown): boolean {
    return !!nonce && /^[A-Za-z0-9_-]{22}$/.test(nonce) && typeof given === 'string' && this.equal(given, this.mac(`signin:${nonce}`));
  }

  private bind(secretHash: string): string {
    return this.mac(`bind:${secretHash}`).subarray(0, 16).toString('base64url');
  }

  /** Constant-time comparison of a base64url signature with the expected bytes (one spelling only). */
  private equal(given: string, want: Buffer): boolean {
    if (given.length > 64) return false;
    const bytes = Buffer.from(given, 'base64url');
    return bytes.length === SIG_BYTES && bytes.toString('base64url') === given && timingSafeEqual(bytes, want);
  }

  private mac(text: string): Buffer {
    return createHmac('sha256', this.key).update(text, 'utf8').digest();
  }
}

/** The cookies of a request, by name (first one wins, as browsers send the most specific first). */
export function readCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    if (!out.has(name)) out.set(name, part.slice(i + 1).trim());
  }
  return out;
}

/** A Set-Cookie value: always HttpOnly, SameSite=Strict and path /, Secure when the page came over https. */
export function setCookie(name: string, value: string, opts: { maxAgeS: number; secure: boolean }): string {
  return `${name}=${value}; Path=/; Max-Age=${opts.maxAgeS}; HttpOnly; SameSite=Strict${opts.secure ? '; Secure' : ''}`;
}

export const signinCookie = (nonce: string, secure: boolean) => setCookie(SIGNIN_COOKIE, nonce, { maxAgeS: SIGNIN_TTL_S, secure });
