import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Provider credentials at rest: AES-256-GCM under a key derived (HKDF-SHA256) from HERALD_SECRET_KEY,
 * so the master key itself never encrypts data and other uses of it (link signing) get other keys.
 * Format: `v1.` + base64url(iv ‖ tag ‖ ciphertext). The app id is bound as associated data, so a
 * row copied to another app does not decrypt.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'herald provider credentials v1', 32));
  }

  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(Buffer.from(aad));
    const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
    return 'v1.' + Buffer.concat([iv, c.getAuthTag(), body]).toString('base64url');
  }

  open(sealed: string, aad: string): string {
    if (!sealed.startsWith('v1.')) throw new Error('unknown credential format');
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    d.setAAD(Buffer.from(aad));
    d.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
  }
}
