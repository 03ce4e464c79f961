import { describe, expect, it } from 'vitest';
import { afterQuietHours } from '../../src/domain/local-time.js';
import { quietHoursAwayFrom, wallTime } from './wall-clock.js';

describe('quiet hours chosen around the test’s now', () => {
  it('never defer a send made within the next hour, at any time of day, in any zone, across DST changes', () => {
    const zones = ['America/New_York', 'Europe/London', 'Pacific/Kiritimati', 'Australia/Lord_Howe', 'Asia/Kolkata', 'UTC'];
    // Every quarter hour of the days around the 2026 DST changes in New York and London, and an ordinary day.
    const days = [Date.UTC(2026, 2, 8), Date.UTC(2026, 2, 29), Date.UTC(2026, 10, 1), Date.UTC(2026, 11, 4)];
    for (const tz of zones) {
      for (const day of days) {
        for (let q = 0; q < 96; q++) {
          const now = new Date(day + q * 900_000);
          const { start, end } = quietHoursAwayFrom(now, tz);
          expect(start).not.toBe(end);
          for (const later of [0, 600_000, 3_600_000]) {
            const t = now.getTime() + later;
            expect(afterQuietHours(t, tz, start, end), `${tz} ${now.toISOString()} +${later} ms in ${start}–${end}`).toBe(t);
          }
        }
      }
    }
  });

  it('writes times of day as the form takes them', () => {
    expect(wallTime(new Date(Date.UTC(2026, 11, 4, 3, 30)), 'America/New_York')).toBe('22:30');
    expect(wallTime(new Date(Date.UTC(2026, 11, 4, 23, 5)), 'Pacific/Kiritimati')).toBe('13:05');
  });
});
