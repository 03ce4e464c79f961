import { describe, expect, it } from 'vitest';
import { validate, version } from 'uuid';
import { newId } from './ids.js';

describe('newId (UUIDv7)', () => {
  it('makes valid version-7 UUIDs whose first 48 bits are the current Unix milliseconds', () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(validate(id)).toBe(true);
    expect(version(id)).toBe(7);
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after + 1);
  });

  it('sorts in the order the ids were made, within a millisecond too, and never repeats', () => {
    const ids = Array.from({ length: 100_000 }, newId);
    for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1], `${ids[i - 1]} then ${ids[i]}`).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps random bits: ids made in the same millisecond differ beyond the counter', () => {
    const ids = Array.from({ length: 1000 }, newId);
    const tails = new Set(ids.map((id) => id.slice(-10)));
    expect(tails.size).toBeGreaterThan(990);
  });
});
