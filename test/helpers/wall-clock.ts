/**
 * Times of day chosen around the test's own "now", for tests that run against the real clock (a browser
 * driving an in-process Herald). Quiet hours written as fixed times (22:00–07:00) defer a send for nine
 * hours of every day, which made such a test fail at those hours of the machine's day.
 */

/** "HH:MM" in `timeZone` at `at`. */
export function wallTime(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('hour')}:${get('minute')}`;
}

/**
 * A quiet-hours window in `timeZone` that begins `fromHours` after `now` and lasts `lengthHours`: the
 * test's sends, made within minutes of `now`, are outside it whatever the hour, date or machine timezone.
 */
export function quietHoursAwayFrom(now: Date, timeZone: string, fromHours = 6, lengthHours = 9): { start: string; end: string } {
  const hour = 3_600_000;
  return { start: wallTime(new Date(now.getTime() + fromHours * hour), timeZone), end: wallTime(new Date(now.getTime() + (fromHours + lengthHours) * hour), timeZone) };
}
