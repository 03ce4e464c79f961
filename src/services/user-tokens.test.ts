import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { hkdfSync } from 'node:crypto';
import { UserTokens } from './user-tokens.js';

const NOW = 1_800_000_000_000;
const master = Buffer.alloc(32, 7);
const app = { id: 'app-1', secret_hash: 'hash-of-secret-1', secret_generation: 1 };
const user = { id: 'mia', incarnation: 'inc-1' };

describe('user tokens: bound to the app secret and to the user row', () => {
  const tokens = new UserTokens(master);

  it('verifies a token as current while its app secret and user row are the ones it was issued for', async () => {
    const { token } = await tokens.issue(app, user, 600, NOW);
    const check = await tokens.verify(token, NOW + 1000);
    expect(check).toEqual({ ok: true, claims: { appId: 'app-1', userId: 'mia', secret: expect.any(String), incarnation: 'inc-1' } });
    if (!check.ok) throw new Error('not ok');
    expect(tokens.current(check.claims, app, 'inc-1')).toBe(true);
    // The payload is readable by the client: it names no secret, only a MAC of the app's.
    expect(Buffer.from(token.split('.')[1], 'base64url').toString()).not.toContain(app.secret_hash);
  });

  it('is no longer current once the secret changes — even back to an old one — or the user row is another', async () => {
    const { token } = await tokens.issue(app, user, 600, NOW);
    const check = await tokens.verify(token, NOW);
    if (!check.ok) throw new Error('not ok');
    expect(tokens.current(check.claims, { ...app, secret_hash: 'hash-of-secret-2', secret_generation: 2 }, 'inc-1')).toBe(false);
    expect(tokens.current(check.claims, { ...app, secret_generation: 3 }, 'inc-1')).toBe(false);
    expect(tokens.current(check.claims, { ...app, secret_hash: 'other' }, 'inc-1')).toBe(false);
    expect(tokens.current(check.claims, { ...app, id: 'app-2' }, 'inc-1')).toBe(false);
    // Erased (no row) or erased and created again (a row with no or another incarnation).
    for (const inc of [undefined, null, '', 'inc-2']) expect(tokens.current(check.claims, app, inc)).toBe(false);
  });

  it('tells a forged token (counted as a failed authentication) from a genuine expired or stale one (not counted)', async () => {
    const { token } = await tokens.issue(app, user, 60, NOW);
    expect(await tokens.verify(token, NOW + 61_000)).toEqual({ ok: false, reason: 'expired' });
    const flipped = token.slice(0, -3) + (token.endsWith('AAA') ? 'BBB' : 'AAA');
    expect(await tokens.verify(flipped, NOW)).toEqual({ ok: false, reason: 'forged' });
    for (const junk of ['', 'abc', 'a.b.c', 'x'.repeat(5000)]) expect(await tokens.verify(junk, NOW)).toEqual({ ok: false, reason: 'forged' });
    expect(await new UserTokens(Buffer.alloc(32, 8)).verify(token, NOW)).toEqual({ ok: false, reason: 'forged' });
    // A token of the previous shape (no bindings), signed with the real key: genuine but refused.
    const key = new Uint8Array(hkdfSync('sha256', master, Buffer.alloc(0), 'herald user tokens v1', 32));
    const old = await new SignJWT({ app: 'app-1' }).setProtectedHeader({ alg: 'HS256' }).setSubject('mia').setAudience('herald:me').setExpirationTime(Math.floor(NOW / 1000) + 600).sign(key);
    expect(await tokens.verify(old, NOW)).toEqual({ ok: false, reason: 'expired' });
  });
});
