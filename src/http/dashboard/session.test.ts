import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { LinkTokens } from '../../services/link-tokens.js';
import { DashboardSessions, SESSION_TTL_MS, readCookies, setCookie } from './session.js';

describe('dashboard sessions', () => {
  const key = randomBytes(32);
  const sessions = new DashboardSessions(key);
  const now = 1_800_000_000_000;

  it('verifies its own cookie until it expires', () => {
    const { cookie, session } = sessions.create('app-1', 'hash-1', now);
    expect(sessions.verify(cookie, now + 1000)).toEqual(session);
    expect(sessions.verify(cookie, now + SESSION_TTL_MS)).toBeUndefined();
    expect(session.expiresAt).toBe(now + SESSION_TTL_MS);
  });

  it('refuses altered, forged, foreign-key and link-token values', () => {
    const { cookie } = sessions.create('app-1', 'hash-1', now);
    const [payload, sig] = cookie.split('.');
    const other = Buffer.from(JSON.stringify(['s', 'app-2', now + SESSION_TTL_MS, 'x', 'y'])).toString('base64url');
    expect(sessions.verify(`${other}.${sig}`, now)).toBeUndefined();
    expect(sessions.verify(`${payload}.${'A'.repeat(43)}`, now)).toBeUndefined();
    expect(new DashboardSessions(randomBytes(32)).verify(cookie, now)).toBeUndefined();
    expect(sessions.verify(new LinkTokens(key).sign({ kind: 'open', deliveryId: 'd' }), now)).toBeUndefined();
    expect(sessions.verify('', now)).toBeUndefined();
    expect(sessions.verify(undefined, now)).toBeUndefined();
  });

  it('binds a session to the secret it was made with', () => {
    const { session } = sessions.create('app-1', 'hash-1', now);
    expect(sessions.boundTo(session, 'hash-1')).toBe(true);
    expect(sessions.boundTo(session, 'hash-2')).toBe(false);
  });

  it('derives a CSRF token per session and checks it', () => {
    const a = sessions.create('app-1', 'h', now).session;
    const b = sessions.create('app-1', 'h', now).session;
    const token = sessions.csrfToken(a);
    expect(sessions.checkCsrf(a, token)).toBe(true);
    expect(sessions.checkCsrf(b, token)).toBe(false);
    expect(sessions.checkCsrf(a, undefined)).toBe(false);
    expect(sessions.checkCsrf(a, token.slice(0, -1))).toBe(false);
    expect(sessions.checkCsrf(a, `${token}=`)).toBe(false);
  });

  it('checks the sign-in form against its nonce cookie', () => {
    const nonce = sessions.newSigninNonce();
    expect(sessions.checkSignin(nonce, sessions.signinToken(nonce))).toBe(true);
    expect(sessions.checkSignin(sessions.newSigninNonce(), sessions.signinToken(nonce))).toBe(false);
    expect(sessions.checkSignin(undefined, sessions.signinToken(nonce))).toBe(false);
  });

  it('reads and writes cookies', () => {
    expect(readCookies('a=1; herald_session=x.y; a=2').get('a')).toBe('1');
    expect(readCookies('a=1; herald_session=x.y').get('herald_session')).toBe('x.y');
    expect(setCookie('n', 'v', { maxAgeS: 60, secure: true })).toBe('n=v; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure');
    expect(setCookie('n', 'v', { maxAgeS: 60, secure: false })).not.toContain('Secure');
  });
});
