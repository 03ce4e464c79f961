import { describe, expect, it } from 'vitest';
import { isCalendarDate, parseIsoDateTime } from './calendar.js';

describe('calendar dates', () => {
  it('refuses days that do not exist and takes those that do', () => {
    expect(isCalendarDate('2027-02-30')).toBe(false);
    expect(isCalendarDate('2027-02-29')).toBe(false);
    expect(isCalendarDate('2028-02-29')).toBe(true);
    expect(isCalendarDate('2100-02-29')).toBe(false);
    expect(isCalendarDate('2026-13-01')).toBe(false);
    expect(isCalendarDate('2026-12-31')).toBe(true);
    expect(isCalendarDate('2026-1-01')).toBe(false);
  });

  it('reads date-times strictly, zone-less as UTC, whatever the machine timezone', () => {
    expect(parseIsoDateTime('2026-12-01T09:00:00Z')).toBe(Date.UTC(2026, 11, 1, 9));
    expect(parseIsoDateTime('2026-12-01T09:00:00')).toBe(Date.UTC(2026, 11, 1, 9));
    expect(parseIsoDateTime('2026-12-01T09:00:00.250+01:00')).toBe(Date.UTC(2026, 11, 1, 8, 0, 0, 250));
    expect(parseIsoDateTime('2026-12-01T09:00-0530')).toBe(Date.UTC(2026, 11, 1, 14, 30));
    for (const bad of ['2027-02-30T09:00:00Z', '2026-12-01T24:00:00Z', '2026-12-01T09:60:00Z', '2026-12-01T09:00:60Z', '2026-12-01', 'March 7', '2026-12-01T09:00:00+25:00', '2026-12-01T09:00:00Zjunk']) {
      expect(parseIsoDateTime(bad), bad).toBeUndefined();
    }
  });
});
