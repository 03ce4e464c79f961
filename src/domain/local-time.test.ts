import { describe, expect, it } from 'vitest';
import { afterQuietHours, nextLocal, zonedInstant } from './local-time.js';

const iso = (t: number) => new Date(t).toISOString();

describe('local time', () => {
  it('finds 09:00 in each zone, across DST changes', () => {
    expect(iso(zonedInstant('2026-12-01', '09:00', 'Europe/Berlin'))).toBe('2026-12-01T08:00:00.000Z');
    expect(iso(zonedInstant('2026-07-01', '09:00', 'Europe/Berlin'))).toBe('2026-07-01T07:00:00.000Z');
    expect(iso(zonedInstant('2026-07-01', '09:00', 'America/New_York'))).toBe('2026-07-01T13:00:00.000Z');
    expect(iso(zonedInstant('2026-12-01', '09:00', 'America/New_York'))).toBe('2026-12-01T14:00:00.000Z');
    expect(iso(zonedInstant('2026-07-01', '09:00', 'Asia/Seoul'))).toBe('2026-07-01T00:00:00.000Z');
    expect(iso(zonedInstant('2026-07-01', '09:00', 'Australia/Lord_Howe'))).toBe('2026-06-30T22:30:00.000Z');
    expect(iso(zonedInstant('2026-12-01', '09:00', 'Australia/Lord_Howe'))).toBe('2026-11-30T22:00:00.000Z');
  });

  it('moves a time inside a spring-forward gap to just after it', () => {
    // Berlin 2026-03-29: 02:00 → 03:00. 02:30 does not exist; it becomes 03:30 CEST (01:30Z).
    expect(iso(zonedInstant('2026-03-29', '02:30', 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
    // New York 2026-03-08: 02:00 → 03:00.
    expect(iso(zonedInstant('2026-03-08', '02:30', 'America/New_York'))).toBe('2026-03-08T07:30:00.000Z');
    // Lord Howe 2026-10-04: 02:00 → 02:30 (a half-hour gap); 02:15 becomes 02:45 new time.
    expect(iso(zonedInstant('2026-10-04', '02:15', 'Australia/Lord_Howe'))).toBe('2026-10-03T15:45:00.000Z');
  });

  it('takes the first of two occurrences in a fall-back overlap', () => {
    // New York 2026-11-01: 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
    expect(iso(zonedInstant('2026-11-01', '01:30', 'America/New_York'))).toBe('2026-11-01T05:30:00.000Z');
    // Berlin 2026-10-25: 02:30 at 00:30Z (CEST) and 01:30Z (CET).
    expect(iso(zonedInstant('2026-10-25', '02:30', 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
    // Lord Howe 2027-04-04: 01:30→02:00 repeats; 01:45 first at 14:45Z (UTC+11).
    expect(iso(zonedInstant('2027-04-04', '01:45', 'Australia/Lord_Howe'))).toBe('2027-04-03T14:45:00.000Z');
  });

  it('picks the next occurrence without a date', () => {
    const now = Date.parse('2026-06-01T10:00:00Z'); // 12:00 in Berlin
    expect(iso(nextLocal('09:00', 'Europe/Berlin', now))).toBe('2026-06-02T07:00:00.000Z');
    expect(iso(nextLocal('13:00', 'Europe/Berlin', now))).toBe('2026-06-01T11:00:00.000Z');
  });

  it('waits out quiet hours that cross midnight', () => {
    const tz = 'Europe/Berlin';
    // 23:00 local → 08:00 next morning
    expect(iso(afterQuietHours(Date.parse('2026-06-01T21:00:00Z'), tz, '22:00', '08:00'))).toBe('2026-06-02T06:00:00.000Z');
    // 03:00 local → 08:00 same morning
    expect(iso(afterQuietHours(Date.parse('2026-06-02T01:00:00Z'), tz, '22:00', '08:00'))).toBe('2026-06-02T06:00:00.000Z');
    // 12:00 local → unchanged
    expect(afterQuietHours(Date.parse('2026-06-02T10:00:00Z'), tz, '22:00', '08:00')).toBe(Date.parse('2026-06-02T10:00:00Z'));
    // a daytime window
    expect(iso(afterQuietHours(Date.parse('2026-06-02T10:00:00Z'), tz, '11:00', '14:00'))).toBe('2026-06-02T12:00:00.000Z');
  });
});
