import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { signWebhook } from './webhook-signature.js';

describe('signWebhook', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 in the Herald-Signature format', () => {
    const body = '{"events":[{"id":1,"type":"sent"}]}';
    const header = signWebhook('whsec_0123456789abcdef', body, 1_764_000_000);
    const mac = createHmac('sha256', 'whsec_0123456789abcdef').update(`1764000000.${body}`).digest('hex');
    expect(header).toBe(`t=1764000000,v1=${mac}`);
    // The timestamp is part of what is signed: the same body at another time signs differently.
    expect(signWebhook('whsec_0123456789abcdef', body, 1_764_000_001)).not.toContain(mac);
  });
});
