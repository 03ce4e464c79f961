import { describe, expect, it } from 'vitest';
import { DeliveryError, vendorCode, vendorText } from './delivery-error.js';

describe('what a recorded provider error may hold (SPEC §11)', () => {
  it('vendorText keeps a string field on one bounded line, and nothing else', () => {
    expect(vendorText('  Invalid JWT\r\n provided ')).toBe('Invalid JWT provided');
    expect(vendorText('x'.repeat(500))).toHaveLength(200);
    expect(vendorText('x'.repeat(500))?.endsWith('…')).toBe(true);
    expect(vendorText({ message: 'nested' })).toBeUndefined();
    expect(vendorText(42)).toBeUndefined();
    expect(vendorText('   ')).toBeUndefined();
  });

  it('vendorCode keeps identifiers only', () => {
    expect(vendorCode('BadDeviceToken')).toBe('BadDeviceToken');
    expect(vendorCode('personalizations.0.to')).toBe('personalizations.0.to');
    expect(vendorCode('<html><body>secret</body></html>')).toBeUndefined();
    expect(vendorCode('A'.repeat(65))).toBeUndefined();
  });

  it('a DeliveryError never carries more than a short line, whatever an adapter passed it', () => {
    const e = new DeliveryError('permanent', `sendgrid: ${'<p>internal page</p>\n'.repeat(100)}`, { providerCode: 'c'.repeat(200) });
    expect(e.message.length).toBeLessThanOrEqual(300);
    expect(e.message).not.toContain('\n');
    expect(e.providerCode?.length).toBeLessThanOrEqual(64);
  });
});
