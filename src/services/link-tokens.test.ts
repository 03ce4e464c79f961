import { describe, expect, it } from 'vitest';
import { LinkTokens, type LinkToken } from './link-tokens.js';

const tokens = new LinkTokens(Buffer.alloc(32, 7));

describe('LinkTokens', () => {
  const samples: LinkToken[] = [
    { kind: 'click', deliveryId: 'd-1', url: 'https://example.com/a?x=1&y=ü#frag' },
    { kind: 'open', deliveryId: 'd-1' },
    { kind: 'unsubscribe', appId: 'app', userId: 'u-1', category: 'marketing', deliveryId: 'd-1' },
    { kind: 'unsubscribe', appId: 'app', userId: 'u-1', category: null, deliveryId: null },
  ];

  it('round-trips every kind, URL-safe', () => {
    for (const t of samples) {
      const s = tokens.sign(t);
      expect(s).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      expect(tokens.verify(s)).toEqual(t);
    }
  });

  it('refuses altered payloads, altered signatures, other keys and junk', () => {
    const s = tokens.sign(samples[2]);
    const [payload, sig] = s.split('.');
    const forged = Buffer.from(JSON.stringify(['u', 'app', 'someone-else', 'marketing', 'd-1'])).toString('base64url');
    expect(tokens.verify(`${forged}.${sig}`)).toBeUndefined();
    const flip = (str: string, i: number) => str.slice(0, i) + (str[i] === 'A' ? 'B' : 'A') + str.slice(i + 1);
    expect(tokens.verify(`${flip(payload, 3)}.${sig}`)).toBeUndefined();
    expect(tokens.verify(`${payload}.${flip(sig, 5)}`)).toBeUndefined();
    expect(tokens.verify(`${payload}.${sig.slice(0, -1)}`)).toBeUndefined();
    expect(new LinkTokens(Buffer.alloc(32, 8)).verify(s)).toBeUndefined();
    for (const junk of ['', '.', 'abc', `${payload}.`, `${payload}.${sig}.x`, 'x'.repeat(10_000)]) expect(tokens.verify(junk)).toBeUndefined();
  });

  it('keeps kinds apart', () => {
    // A correctly signed payload of the wrong shape still fails.
    const open = tokens.sign({ kind: 'open', deliveryId: 'd-1' });
    expect(tokens.verify(open)?.kind).toBe('open');
    expect(tokens.verify(tokens.sign({ kind: 'click', deliveryId: 'd', url: 'javascript:alert(1)' }))).toBeUndefined();
  });
});
