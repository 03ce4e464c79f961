import { describe, expect, it } from 'vitest';
import { isGsm7, splitSms } from './sms-segments.js';

describe('GSM-7', () => {
  it('knows the default alphabet and its extension table', () => {
    expect(isGsm7('Hello @£$¥ èéùìò ÄÖÑÜ§¿ äöñüà\n')).toBe(true);
    expect(isGsm7('{}[]~|^€\\')).toBe(true);
    expect(isGsm7('ç')).toBe(false); // only the capital Ç is in the table
    expect(isGsm7('Привет')).toBe(false);
    expect(isGsm7('👍')).toBe(false);
  });

  it('counts extension characters as two septets', () => {
    expect(splitSms(`${'a'.repeat(158)}€`).parts).toHaveLength(1);
    expect(splitSms(`${'a'.repeat(159)}€`).parts).toHaveLength(2);
  });

  it('uses one part up to 160 septets / 70 UCS-2 units, then 153 / 67 per part', () => {
    expect(splitSms('a'.repeat(160)).parts).toHaveLength(1);
    expect(splitSms('a'.repeat(161)).parts.map((p) => p.length)).toEqual([153, 8]);
    expect(splitSms('ж'.repeat(70)).parts).toHaveLength(1);
    expect(splitSms('ж'.repeat(71)).parts.map((p) => p.length)).toEqual([67, 4]);
  });

  it('can force UCS-2 for GSM-7 text', () => {
    expect(splitSms('a'.repeat(100), 'UCS-2')).toEqual({ encoding: 'UCS-2', parts: ['a'.repeat(67), 'a'.repeat(33)] });
  });

  it('never splits an escape pair or a surrogate pair', () => {
    const gsm = splitSms(`${'a'.repeat(152)}€b${'c'.repeat(20)}`).parts;
    expect(gsm[0]).toBe('a'.repeat(152));
    expect(gsm[1].startsWith('€')).toBe(true);
    const ucs = splitSms(`${'ж'.repeat(66)}👍${'ж'.repeat(10)}`).parts;
    expect(ucs[0]).toBe('ж'.repeat(66));
    expect(ucs[1].startsWith('👍')).toBe(true);
  });
});
