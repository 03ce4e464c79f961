import { describe, expect, it } from 'vitest';
import { nextRun } from './scheduler.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe('nextRun across daylight-saving changes', () => {
  it('keeps a 09:00 local schedule at 09:00 local on both sides of the change', () => {
    // Europe/Berlin switches to CEST on 2026-03-29.
    expect(iso(nextRun('0 9 * * *', 'Europe/Berlin', at('2026-03-28T12:00:00Z')))).toBe('2026-03-29T07:00:00.000Z');
    expect(iso(nextRun('0 9 * * *', 'Europe/Berlin', at('2026-03-27T12:00:00Z')))).toBe('2026-03-28T08:00:00.000Z');
    // America/New_York falls back on 2026-11-01.
    expect(iso(nextRun('0 9 * * *', 'America/New_York', at('2026-10-31T14:00:00Z')))).toBe('2026-11-01T14:00:00.000Z');
    expect(iso(nextRun('0 9 * * *', 'America/New_York', at('2026-10-30T14:00:00Z')))).toBe('2026-10-31T13:00:00.000Z');
  });

  it('fires once in a repeated hour and not never in a skipped one', () => {
    // 02:30 does not exist in Berlin on 2026-03-29; the schedule still fires that day, once.
    const gap = nextRun('30 2 * * *', 'Europe/Berlin', at('2026-03-28T12:00:00Z'))!;
    expect(gap).toBeGreaterThan(at('2026-03-28T23:00:00Z'));
    expect(gap).toBeLessThan(at('2026-03-29T12:00:00Z'));
    // 01:30 happens twice in New York on 2026-11-01; the day after, it fires at the normal time.
    const first = nextRun('30 1 * * *', 'America/New_York', at('2026-11-01T00:00:00Z'))!;
    const second = nextRun('30 1 * * *', 'America/New_York', first)!;
    expect(second - first).toBeGreaterThanOrEqual(23 * 3_600_000);
    expect(iso(second)).toBe('2026-11-02T06:30:00.000Z');
  });

  it('handles a half-hour DST shift (Australia/Lord_Howe) and a zone without DST (Asia/Seoul)', () => {
    expect(iso(nextRun('0 9 * * *', 'Asia/Seoul', at('2026-06-01T00:00:00Z')))).toBe('2026-06-02T00:00:00.000Z');
    // Lord Howe: UTC+10:30 in winter, UTC+11 in summer (from 2026-10-04).
    expect(iso(nextRun('0 9 * * *', 'Australia/Lord_Howe', at('2026-07-01T00:00:00Z')))).toBe('2026-07-01T22:30:00.000Z');
    expect(iso(nextRun('0 9 * * *', 'Australia/Lord_Howe', at('2026-12-01T00:00:00Z')))).toBe('2026-12-01T22:00:00.000Z');
  });
});
