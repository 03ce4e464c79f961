import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));
  it('round-trips and never stores the plaintext', () => {
    const sealed = box.seal('{"auth_token":"s3cret"}', 'app-1');
    expect(sealed).not.toContain('s3cret');
    expect(box.open(sealed, 'app-1')).toBe('{"auth_token":"s3cret"}');
    expect(box.seal('x', 'a')).not.toBe(box.seal('x', 'a'));
  });
  it('refuses another app, another key and tampering', () => {
    const sealed = box.seal('secret', 'app-1');
    expect(() => box.open(sealed, 'app-2')).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'app-1')).toThrow();
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    raw[raw.length - 1] ^= 1;
    expect(() => box.open('v1.' + raw.toString('base64url'), 'app-1')).toThrow();
  });
});
