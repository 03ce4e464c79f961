import { afterAll, beforeAll, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { basic, eventually, request, startTestHerald, type DbKind, type TestHerald } from './helpers/herald.js';
import { ARTIFACTS, cspViolationsOf, seriousAxeFindings, signInToDashboard, useChromium } from './helpers/browser.js';

/**
 * The dashboard (SPEC §8) in Debian's Chromium, against an in-process sandbox Herald: sign-in,
 * sending a test and seeing it arrive, the log and a timeline, dead-letter retry, CSRF, the session
 * cookie, signing out, and axe-core on every page (no serious or critical violations).
 */
const IOS_TOKEN = 'a1'.repeat(32);

/** The suite, on SQLite (test/dashboard.test.ts) and on PostgreSQL (test/dashboard.postgres.test.ts). */
export function dashboardSuite(db: DbKind): void {
  let h: TestHerald;

  beforeAll(async () => {
    h = await startTestHerald(db);
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });
  const newContext = useChromium();

  /** A fresh browser profile. axe is injected as an inline script, which the pages' CSP would refuse; the CSP test below runs without this bypass. */
  async function newPage(opts: { bypassCSP?: boolean } = {}): Promise<Page> {
    const context = await newContext({ bypassCSP: opts.bypassCSP ?? true });
    return context.newPage();
  }

  const signIn = (page: Page) => signInToDashboard(page, h.url, h.key, h.secret);

  async function axe(page: Page, name: string): Promise<void> {
    expect(await seriousAxeFindings(page), `axe on ${name}`).toEqual([]);
  }

  const focused = (page: Page) =>
    page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el?.id || el?.textContent?.trim() || el?.tagName || '';
    });

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${db === 'sqlite' ? '' : `${db}-`}${name}.png`), fullPage: true });

  async function statusOf(id: string): Promise<{ status: string; deliveries: { id: string; status: string; open_count: number; events: { type: string; data: unknown }[] }[] }> {
    return (await h.api('GET', `/v1/notifications/${id}`)).body;
  }

  it('signs in with the keyboard: a wrong secret shows an error, the right one lands on the live overview', async () => {
    const page = await newPage();
    const res = await page.goto(`${h.url}/`);
    expect(res?.status()).toBe(200);
    await axe(page, 'sign-in');

    // Tab order: skip link, key, secret, the button; typed and submitted with the keyboard alone.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('key');
    await page.keyboard.type(h.key);
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('secret');
    await page.keyboard.type('not-the-secret');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('Sign in');
    const [wrong] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.keyboard.press('Enter')]);
    expect(wrong.status()).toBe(401);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Unknown app key or wrong secret');
    expect(await page.getByLabel('App key').inputValue()).toBe(h.key);
    expect(await page.getByLabel('App secret').getAttribute('aria-invalid')).toBe('true');
    expect((await page.context().cookies()).some((c) => c.name === 'herald_session')).toBe(false);
    await axe(page, 'sign-in with an error');
    await shot(page, 'sign-in-error');

    await page.getByLabel('App secret').focus();
    await page.keyboard.type(h.secret);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/dashboard');

    // The overview: per-channel queue figures, provider health, two charts; the script refreshes them.
    const queues = page.getByRole('table', { name: 'Queue figures per channel' });
    await expect(queues.getByRole('rowheader').allTextContents()).resolves.toEqual(['Push', 'SMS', 'Email']);
    await expect(page.getByRole('table', { name: 'Provider circuit breakers' }).getByRole('rowheader').allTextContents()).resolves.toContain('sendgrid');
    await expect(page.getByRole('img', { name: 'Deliveries finished per second' }).count()).resolves.toBe(1);
    await expect(page.getByRole('img', { name: 'Queue depth' }).count()).resolves.toBe(1);
    await page.locator('[data-live-updated]').waitFor({ timeout: 10_000 });
    // After two samples the charts draw lines (one per channel).
    await page.locator('[data-chart="depth"] polyline').first().waitFor({ state: 'attached', timeout: 10_000 });
    await expect(page.locator('[data-chart="depth"] polyline').count()).resolves.toBe(3);
    // Some traffic: the email line of the throughput chart rises above its baseline.
    const batch = Array.from({ length: 300 }, (_, i) => ({ to: { email: `load${i}@example.com` }, content: { email: { subject: 'Load', text: 'x' } } }));
    expect((await h.api('POST', '/v1/notifications/batch', { notifications: batch })).status).toBe(200);
    await page.waitForFunction(
      () => {
        const line = document.querySelector('[data-chart="throughput"] polyline[data-series="email"]');
        return !!line && line.getAttribute('points')!.split(' ').some((p) => Number(p.split(',')[1]) < 173);
      },
      undefined,
      { timeout: 15_000 },
    );
    await expect(page.locator('[data-chart="throughput"] desc').textContent()).resolves.toMatch(/Latest: Push [\d.]+, SMS [\d.]+, Email [\d.]+/);
    await axe(page, 'overview');
    await shot(page, 'overview');
  });

  it('sends a test from the sandbox, sees it arrive, then finds it in the log and its timeline', async () => {
    const page = await newPage();
    await signIn(page);
    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Sandbox' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sandbox' }).waitFor();

    // To an address and a number: the mailbox and the phone. The subject is shown as text, not markup.
    await page.getByLabel('Email address').fill('ada@example.com');
    await page.getByLabel('Phone number (E.164, e.g. +14155552671)').fill('+14155552671');
    await page.getByLabel('Title (push) and subject (email)').fill('Hello <b>Ada</b>');
    await page.getByLabel('Message').fill('Your order 8812 shipped');
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.getByText('Test sent: notification').waitFor();
    const id = new URL(page.url()).searchParams.get('sent')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    // The live refresh brings the messages in without a reload.
    const mail = page.getByRole('article', { name: 'Hello <b>Ada</b>' });
    await mail.waitFor({ timeout: 10_000 });
    await page.frameLocator('iframe[title="Email “Hello <b>Ada</b>”"]').getByText('Your order 8812 shipped').waitFor();
    const phone = page.getByRole('article', { name: '+14155552671' });
    await phone.getByText('Your order 8812 shipped').waitFor();

    // To a user id: push reaches their device's notification centre.
    expect((await h.api('PUT', '/v1/users/ada', { email: 'ada@example.com', name: 'Ada' })).status).toBeLessThan(300);
    expect((await h.api('POST', '/v1/users/ada/devices', { platform: 'ios', token: IOS_TOKEN })).status).toBeLessThan(300);
    await page.getByLabel('or a user id').fill('ada');
    await page.getByLabel('Title (push) and subject (email)').fill('Push for Ada');
    await page.getByLabel('Message').fill('Tap to see');
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.getByText('Test sent: notification').waitFor();
    const userNotification = new URL(page.url()).searchParams.get('sent')!;
    await page.getByRole('region', { name: 'iOS notification centre' }).getByText('Push for Ada').waitFor({ timeout: 10_000 });

    // A refused form says why and keeps what was typed.
    await page.getByLabel('Email address').fill('ada@example.com');
    await page.getByLabel('or a user id').fill('ada');
    await page.getByRole('button', { name: 'Send test' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not both');
    expect(await page.getByLabel('or a user id').inputValue()).toBe('ada');
    await page.goto(`${h.url}/dashboard/sandbox`);
    await axe(page, 'sandbox');
    await shot(page, 'sandbox');
    await page.getByRole('heading', { name: 'Mailboxes' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-sandbox-mailbox.png') });

    // The log, filtered by user, links to the timeline.
    await page.getByRole('link', { name: 'Notifications' }).click();
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
    await expect(page.getByRole('link', { name: id }).count()).resolves.toBe(1);
    await page.getByLabel('User id').fill('ada');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/user=ada/);
    await expect(page.getByRole('link', { name: userNotification }).count()).resolves.toBe(1);
    await expect(page.getByRole('link', { name: id }).count()).resolves.toBe(0);
    await axe(page, 'notification log');
    await shot(page, 'notifications');

    await eventually(async () => (await statusOf(id)).deliveries.every((d) => d.status === 'sent'));
    await page.goto(`${h.url}/dashboard/notifications`);
    await page.getByRole('link', { name: id }).click();
    await page.getByRole('heading', { level: 1, name: `Notification ${id}` }).waitFor();
    const email = page.getByRole('region', { name: /^Email to ada@example\.com/ });
    const timeline = email.getByRole('list').filter({ has: page.getByText('created') });
    const events = await timeline.locator('> li strong').allTextContents();
    expect(events[0]).toBe('created');
    expect(events).toContain('sent');
    await expect(email.locator('time').first().getAttribute('datetime')).resolves.toMatch(/^\d{4}-\d\d-\d\dT/);
    await expect(page.getByRole('region', { name: /^SMS to \+14155552671/ }).getByText('sent', { exact: true }).count()).resolves.toBeGreaterThan(0);
    await axe(page, 'timeline');
    await shot(page, 'timeline');
  });

  it('retries a dead letter and all shown; a POST without the CSRF token is refused and changes nothing', async () => {
    const page = await newPage();
    await signIn(page);
    await page.goto(`${h.url}/dashboard/sandbox`);
    await page.getByLabel('Email address').fill('down@example.com');
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.getByText('Test sent: notification').waitFor();
    const id = new URL(page.url()).searchParams.get('sent')!;
    const other = (await h.api('POST', '/v1/notifications', { to: { email: 'down2@example.com' }, content: { email: { subject: 'Second', text: 'x' } } })).body.id as string;
    const dead = await eventually(async () => {
      const [a, b] = [await statusOf(id), await statusOf(other)];
      return a.deliveries[0].status === 'failed' && b.deliveries[0].status === 'failed' && [a.deliveries[0], b.deliveries[0]];
    });

    // Two dead letters within the hour pass a threshold of 1: the open overview shows the alert without a reload.
    await page.goto(`${h.url}/dashboard`);
    await expect(page.locator('#alerts-list').textContent()).resolves.toContain('No open alerts');
    expect((await h.api('PUT', '/v1/settings', { alerts: { dead_letters_per_hour: 1 } })).status).toBe(200);
    expect((await h.herald.alerts!.tick()).raised).toContain('dead_letters_per_hour');
    const alerts = page.getByRole('table', { name: 'Open alerts' });
    await alerts.getByRole('rowheader', { name: 'dead_letters_per_hour' }).waitFor({ timeout: 10_000 });
    await expect(alerts.getByRole('cell').first().textContent()).resolves.toBe('2');
    await axe(page, 'overview with an alert');
    await shot(page, 'overview-alert');
    expect((await h.api('PUT', '/v1/settings', { alerts: {} })).status).toBe(200);

    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Dead letters' }).click();
    await page.getByRole('heading', { level: 1, name: 'Dead letters' }).waitFor();
    await expect(page.getByRole('cell', { name: 'down@example.com', exact: true }).count()).resolves.toBe(1);
    await axe(page, 'dead letters');
    await shot(page, 'dead-letters');

    // Without the token, with a wrong one, or as another browser without the session: nothing changes.
    const before = await statusOf(id);
    const route = `${h.url}/dashboard/dead-letters/${dead[0].id}/retry`;
    const noToken = await page.request.post(route, { form: {}, maxRedirects: 0 });
    expect(noToken.status()).toBe(403);
    expect(await noToken.text()).toContain('nothing was changed');
    expect((await page.request.post(route, { form: { csrf: 'x'.repeat(43) }, maxRedirects: 0 })).status()).toBe(403);
    const csrf = await page.locator('input[name="csrf"]').first().inputValue();
    const anonymous = await fetch(route, { method: 'POST', body: new URLSearchParams({ csrf }), redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/');
    expect(await statusOf(id)).toEqual(before);

    await page.getByRole('button', { name: 'Retry the email to down@example.com' }).click();
    await page.getByText('1 delivery queued again.').waitFor();
    const retried = await statusOf(id);
    expect(retried.deliveries[0].events.filter((e) => e.type === 'queued' && JSON.stringify(e.data) === '{"retry":"manual"}')).toHaveLength(1);

    // down@ fails again after its attempts; then both are retried at once.
    await eventually(async () => (await statusOf(id)).deliveries[0].status === 'failed');
    await page.goto(`${h.url}/dashboard/dead-letters`);
    await page.getByRole('button', { name: 'Retry all 2 shown' }).click();
    await page.getByText('2 deliveries queued again.').waitFor();
    for (const [n, want] of [[id, 2], [other, 1]] as const) {
      const manual = (await statusOf(n)).deliveries[0].events.filter((e) => e.type === 'queued' && JSON.stringify(e.data) === '{"retry":"manual"}');
      expect(manual, n).toHaveLength(want);
    }
  });

  it('keeps the session in an HttpOnly, SameSite=Strict cookie, scoped to its app, and signs out', async () => {
    const page = await newPage();
    await signIn(page);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'herald_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false, path: '/' });
    expect(cookie.expires * 1000 - Date.now()).toBeGreaterThan(7 * 3600_000);
    expect(await page.evaluate(() => document.cookie)).not.toContain('herald_session');
    // A forged cookie is no session.
    const [payload] = cookie.value.split('.');
    const forged = await fetch(`${h.url}/dashboard`, { headers: { cookie: `herald_session=${payload}.${'A'.repeat(43)}` }, redirect: 'manual' });
    expect(forged.status).toBe(303);

    // Another app's notification is not found from this app's session.
    const otherApp = await h.newApp('other');
    const theirs = await request(h.url, basic(otherApp.key, otherApp.secret), 'POST', '/v1/notifications', { to: { email: 'x@example.com' }, content: { email: { subject: 'Theirs', text: 'x' } } });
    expect(theirs.status).toBe(202);
    const res = await page.goto(`${h.url}/dashboard/notifications/${theirs.body.id}`);
    expect(res?.status()).toBe(404);
    await page.goto(`${h.url}/dashboard/notifications`);
    await expect(page.getByRole('link', { name: theirs.body.id }).count()).resolves.toBe(0);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    expect((await page.context().cookies()).some((c) => c.name === 'herald_session')).toBe(false);
    await page.goto(`${h.url}/dashboard/dead-letters`);
    expect(new URL(page.url()).pathname).toBe('/');
    await page.getByRole('heading', { level: 1, name: 'Sign in to the dashboard' }).waitFor();
    const api = await page.request.get(`${h.url}/dashboard/api/overview`);
    expect(api.status()).toBe(401);
    // The dashboard is not part of the API's OpenAPI document.
    const doc = await request(h.url, undefined, 'GET', '/openapi.json');
    expect(Object.keys(doc.body.paths).filter((p) => p === '/' || p.startsWith('/dashboard'))).toEqual([]);
  });

  it('works under its Content-Security-Policy: the script and styles load, the live refresh runs', async () => {
    const page = await newPage({ bypassCSP: false });
    const violations = cspViolationsOf(page);
    await signIn(page);
    const csp = (await page.request.get(`${h.url}/dashboard`)).headers()['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    await page.locator('[data-live-updated]').waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('.top')!).display)).toBe('flex');
    // The pause button is the script's: it appears, and pauses.
    const pause = page.getByRole('button', { name: 'Pause live updates' });
    await pause.click();
    expect(await pause.getAttribute('aria-pressed')).toBe('true');

    // Emails' remote images and the open pixel are not loaded in the mailbox: viewing it is no open.
    await page.goto(`${h.url}/dashboard/sandbox`);
    const sent = await h.api('POST', '/v1/notifications', { to: { email: 'csp@example.com' }, content: { email: { subject: 'Pixel check', text: 'x', html: '<p style="color:#a00">Styled</p>' } } });
    expect(sent.status).toBe(202);
    await page.getByRole('article', { name: 'Pixel check' }).waitFor({ timeout: 10_000 });
    await page.frameLocator('iframe[title="Email “Pixel check”"]').getByText('Styled').waitFor();
    expect(await page.frameLocator('iframe[title="Email “Pixel check”"]').getByText('Styled').evaluate((el) => getComputedStyle(el).color)).toBe('rgb(170, 0, 0)');
    await page.waitForTimeout(500);
    const d = (await statusOf(sent.body.id)).deliveries[0];
    expect(d.open_count).toBe(0);
    expect(d.events.map((e) => e.type)).not.toContain('opened');
    // Nothing else is refused.
    expect(violations.filter((v) => !/img-src/.test(v))).toEqual([]);
  });
}
