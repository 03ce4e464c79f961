/**
 * Wall-clock times in IANA timezones, for `send_at_local` and quiet hours. Built on Intl (the tz
 * database Node ships); no library needed for these three functions.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(tz, f);
  }
  return f;
}

/** The local wall-clock time at instant `t`, expressed as if it were UTC (for arithmetic). */
export function localWall(t: number, tz: string): number {
  const p = Object.fromEntries(formatter(tz).formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
}

const offsetAt = (t: number, tz: string) => localWall(t, tz) - Math.floor(t / 1000) * 1000;

/**
 * The instant when the wall clock in `tz` shows `date` `time`. In a daylight-saving gap (the time
 * does not exist) it is the same distance after the gap's start (02:30 on a spring-forward night is
 * 03:30 new time); in an overlap (the time happens twice) it is the first occurrence.
 */
export function zonedInstant(date: string, time: string, tz: string): number {
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi] = time.split(':').map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  const before = wall - offsetAt(wall - 43_200_000, tz);
  const after = wall - offsetAt(wall + 43_200_000, tz);
  const exact = [before, after].filter((t) => localWall(t, tz) === wall).sort((a, b) => a - b);
  return exact.length ? exact[0] : before;
}

/** The local calendar date (YYYY-MM-DD) at instant `t` in `tz`. */
export function localDate(t: number, tz: string): string {
  return new Date(localWall(t, tz)).toISOString().slice(0, 10);
}

function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** `time` in `tz` on `date`, or — without a date — its next occurrence after `now`. */
export function nextLocal(time: string, tz: string, now: number, date?: string): number {
  if (date) return zonedInstant(date, time, tz);
  const today = localDate(now, tz);
  const t = zonedInstant(today, time, tz);
  return t > now ? t : zonedInstant(addDays(today, 1), time, tz);
}

/**
 * Quiet hours `start`–`end` (local, may cross midnight, e.g. 22:00–08:00): when `t` falls inside,
 * the end of that window; otherwise `t` itself.
 */
export function afterQuietHours(t: number, tz: string, start: string, end: string): number {
  const minutes = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
  const wall = localWall(t, tz);
  const m = Math.floor((wall % 86_400_000) / 60_000);
  const s = minutes(start);
  const e = minutes(end);
  if (s === e) return t;
  const inside = s < e ? m >= s && m < e : m >= s || m < e;
  if (!inside) return t;
  const today = localDate(t, tz);
  // The window ends today if we are past midnight in it (or it does not cross midnight), else tomorrow.
  const endDate = s < e || m < e ? today : addDays(today, 1);
  return zonedInstant(endDate, end, tz);
}

export const LOCAL_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
export const LOCAL_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
