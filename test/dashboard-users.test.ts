import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { basic, eventually, request, startTestHerald, type TestHerald } from './helpers/herald.js';
import { ARTIFACTS, chromiumAvailable, cspViolationsOf, seriousAxeFindings, signInToDashboard, useChromium } from './helpers/browser.js';
import { quietHoursAwayFrom } from './helpers/wall-clock.js';

/**
 * The dashboard's Users page (SPEC §8) in Chromium, against an in-process sandbox Herald: finding a
 * user, their devices (one deactivated by the sandbox's "unregistered" answer), editing contacts and
 * preferences through the forms (checked through /v1), a refused form that changes nothing, a test
 * sent from the page followed to the sandbox inbox and to its timeline, another app's 404, and axe-core
 * on every page.
 */
const LIVE_TOKEN = 'ab'.repeat(32);
/** The sandbox answers a token ending in `deaddead` as APNs answers an unregistered one (README "Sandbox test recipients"). */
const DEAD_TOKEN = `${'c0'.repeat(28)}deaddead`;

describe.skipIf(!chromiumAvailable())('dashboard Users page in Chromium', () => {
  let h: TestHerald;

  beforeAll(async () => {
    h = await startTestHerald('sqlite');
    await seedGrace();
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });
  const newContext = useChromium();

  /** Grace: contacts, a live and a dead iOS device, a topic, and one notification that killed the dead device. */
  async function seedGrace(): Promise<void> {
    const ok = (r: { status: number }) => expect(r.status).toBeLessThan(300);
    ok(await h.api('PUT', '/v1/users/grace', { email: 'grace@example.com', phone: '+14155552671', name: 'Grace Hopper', locale: 'en-US', timezone: 'America/New_York' }));
    ok(await h.api('PUT', '/v1/users/grace2', { name: 'Another Grace' }));
    ok(await h.api('PUT', '/v1/users/bob', { name: 'Bob' }));
    ok(await h.api('POST', '/v1/users/grace/devices', { platform: 'ios', token: LIVE_TOKEN }));
    ok(await h.api('POST', '/v1/users/grace/devices', { platform: 'ios', token: DEAD_TOKEN }));
    ok(await h.api('PUT', '/v1/users/grace/topics/launches', undefined));
    ok(await h.api('POST', '/v1/notifications', { user_id: 'grace', channels: ['push'], content: { push: { title: 'Warm-up', body: 'x' } } }));
    await eventually(async () => (await h.api('GET', '/v1/users/grace/devices')).body.devices.some((d: { token: string; active: boolean }) => d.token === DEAD_TOKEN && !d.active));
  }

  async function newPage(opts: { bypassCSP?: boolean } = {}): Promise<Page> {
    const context = await newContext({ bypassCSP: opts.bypassCSP ?? true });
    return context.newPage();
  }

  const signIn = (page: Page, key = h.key, secret = h.secret) => signInToDashboard(page, h.url, key, secret);

  async function axe(page: Page, name: string): Promise<void> {
    expect(await seriousAxeFindings(page), `axe on ${name}`).toEqual([]);
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `dashboard-users-${name}.png`), fullPage: true });
  const user = async (id: string) => (await h.api('GET', `/v1/users/${id}`)).body;
  const prefs = async (id: string) => (await h.api('GET', `/v1/users/${id}/preferences`)).body;

  /** Clicks a form's button and answers the status of the POST it makes. */
  async function submit(page: Page, button: ReturnType<Page['getByRole']>): Promise<number> {
    const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), button.click()]);
    await page.waitForLoadState();
    return res.status();
  }

  it('finds users by id prefix, page after page, from the keyboard', async () => {
    await Promise.all(Array.from({ length: 52 }, (_, i) => h.api('PUT', `/v1/users/page-${String(i).padStart(3, '0')}`, { name: `Paged ${i}` })));
    const page = await newPage();
    await signIn(page);
    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Users' }).getAttribute('aria-current')).toBe('page');

    await page.getByLabel('User id, or how it starts').focus();
    await page.keyboard.type('gra');
    await page.keyboard.press('Enter');
    await page.waitForURL(/q=gra/);
    const results = page.getByRole('table', { name: /Users whose id starts with gra/ });
    await expect(results.getByRole('link').allTextContents()).resolves.toEqual(['grace', 'grace2']);
    await expect(results.getByRole('cell', { name: 'grace@example.com' }).count()).resolves.toBe(1);
    await axe(page, 'user list');
    await shot(page, 'list');

    // The exact id is a prefix of itself: it comes first and is marked.
    await page.goto(`${h.url}/dashboard/users?q=grace`);
    await expect(page.getByRole('row').nth(1).textContent()).resolves.toContain('exact match');

    // 52 users starting with "page-": 50, then the next 2 behind the cursor.
    await page.goto(`${h.url}/dashboard/users?q=page-`);
    await expect(page.getByRole('table').getByRole('link').count()).resolves.toBe(50);
    await page.getByRole('link', { name: 'Next users' }).click();
    await page.waitForURL(/after=page-049/);
    await expect(page.getByRole('table').getByRole('link').allTextContents()).resolves.toEqual(['page-050', 'page-051']);
    await expect(page.getByRole('link', { name: 'Next users' }).count()).resolves.toBe(0);

    // Not an id: refused with the reason, the field marked.
    const bad = await page.goto(`${h.url}/dashboard/users?q=${encodeURIComponent('gr ace')}`);
    expect(bad?.status()).toBe(400);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('A user id is');
    expect(await page.getByLabel('User id, or how it starts').getAttribute('aria-invalid')).toBe('true');
    await axe(page, 'user list with an error');
  });

  it('shows contacts, devices with why one was deactivated, preferences, topics and notifications, and saves contacts', async () => {
    const page = await newPage();
    await signIn(page);
    await page.goto(`${h.url}/dashboard/users?q=grace`);
    await page.getByRole('link', { name: 'grace', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: /User grace/ }).waitFor();

    const contacts = page.getByRole('region', { name: 'Contacts' });
    expect(await contacts.getByLabel('Email address').inputValue()).toBe('grace@example.com');
    expect(await contacts.getByLabel('Phone number').inputValue()).toBe('+14155552671');
    expect(await contacts.getByLabel('Timezone').inputValue()).toBe('America/New_York');

    const devices = page.getByRole('region', { name: /^Devices/ });
    await expect(devices.getByRole('heading').textContent()).resolves.toContain('1 active of 2');
    const live = devices.getByRole('row').filter({ hasText: `…${LIVE_TOKEN.slice(-8)}` });
    await expect(live.getByText('Active', { exact: true }).count()).resolves.toBe(1);
    const dead = devices.getByRole('row').filter({ hasText: '…deaddead' });
    await expect(dead.getByText('Deactivated', { exact: true }).count()).resolves.toBe(1);
    await expect(dead.textContent()).resolves.toContain('unregistered token');
    await expect(dead.getByText('sandbox_invalid_recipient').count()).resolves.toBe(1);
    await expect(dead.locator('time').first().getAttribute('datetime')).resolves.toMatch(/^\d{4}-\d\d-\d\dT/);
    // The whole token is not printed: only enough to tell devices apart.
    expect(await devices.textContent()).not.toContain(DEAD_TOKEN);

    await expect(page.getByRole('region', { name: 'Topics' }).textContent()).resolves.toContain('launches');
    const warmUp = (await h.api('GET', '/v1/notifications?user_id=grace')).body.notifications[0].id as string;
    await expect(page.getByRole('region', { name: 'Recent notifications' }).getByRole('link', { name: warmUp }).getAttribute('href')).resolves.toBe(`/dashboard/notifications/${warmUp}`);
    await axe(page, 'user detail');
    await shot(page, 'detail');

    // A refused save: the page again with the reason and what was typed; nothing written, not even the valid name.
    const before = await user('grace');
    await contacts.getByLabel('Name').fill('Grace B. Hopper');
    await contacts.getByLabel('Email address').fill('grace@localhost');
    expect(await submit(page, contacts.getByRole('button', { name: 'Save contacts' }))).toBe(400);
    await expect(page.getByRole('region', { name: 'Contacts' }).getByRole('alert').textContent()).resolves.toBe('Email is not a valid address.');
    const email = page.getByRole('region', { name: 'Contacts' }).getByLabel('Email address');
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    expect(await email.inputValue()).toBe('grace@localhost');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('contact-email');
    expect(await user('grace')).toEqual(before);
    await axe(page, 'user detail with a refused form');
    await shot(page, 'contacts-error');

    // Posted directly (no browser check on the field): the same refusal.
    const csrf = await page.locator('input[name="csrf"]').first().inputValue();
    const direct = await page.request.post(`${h.url}/dashboard/users/grace/contacts`, { form: { csrf, email: 'not-an-email', name: 'X' }, maxRedirects: 0 });
    expect(direct.status()).toBe(400);
    expect(await user('grace')).toEqual(before);

    await page.getByRole('region', { name: 'Contacts' }).getByLabel('Email address').fill('grace.hopper@example.com');
    await page.getByRole('region', { name: 'Contacts' }).getByLabel('Timezone').fill('Europe/London');
    expect(await submit(page, page.getByRole('region', { name: 'Contacts' }).getByRole('button', { name: 'Save contacts' }))).toBe(303);
    await page.getByText('Contacts saved.').waitFor();
    expect(await user('grace')).toMatchObject({ name: 'Grace B. Hopper', email: 'grace.hopper@example.com', phone: '+14155552671', locale: 'en-US', timezone: 'Europe/London' });
  });

  it('changes preferences through the form, refuses half quiet hours, and sends a test followed to the inbox and the timeline', async () => {
    const page = await newPage();
    await signIn(page);
    await page.goto(`${h.url}/dashboard/users/grace`);
    let form = page.getByRole('region', { name: 'Preferences' });
    await form.getByLabel('SMS', { exact: true }).uncheck();
    await form.getByLabel('Add a category').fill('marketing');
    await form.getByLabel('Email for the added category').uncheck();
    // Quiet hours that do not cover the test send below, whatever the time of day it runs at.
    // (In Grace's timezone as it is now: an earlier test moves her to Europe/London.)
    const quiet = quietHoursAwayFrom(new Date(), (await user('grace')).timezone);
    await form.getByLabel('From').fill(quiet.start);
    await form.getByLabel('Until').fill(quiet.end);
    expect(await submit(page, form.getByRole('button', { name: 'Save preferences' }))).toBe(303);
    await page.getByText('Preferences saved.').waitFor();
    const saved = { channels: { sms: false }, categories: { marketing: { email: false } }, quiet_hours: quiet };
    expect(await prefs('grace')).toEqual(saved);
    form = page.getByRole('region', { name: 'Preferences' });
    expect(await form.getByLabel('Email for marketing').isChecked()).toBe(false);
    expect(await form.getByLabel('Push for marketing').isChecked()).toBe(true);
    expect(await form.getByLabel('SMS', { exact: true }).isChecked()).toBe(false);

    // Only a start: refused, nothing changed (not even the channel also ticked).
    await form.getByLabel('Until').fill('');
    await form.getByLabel('SMS', { exact: true }).check();
    expect(await submit(page, form.getByRole('button', { name: 'Save preferences' }))).toBe(400);
    await expect(page.getByRole('region', { name: 'Preferences' }).getByRole('alert').textContent()).resolves.toContain('both a start and an end');
    expect(await page.getByRole('region', { name: 'Preferences' }).getByLabel('Until').getAttribute('aria-invalid')).toBe('true');
    expect(await prefs('grace')).toEqual(saved);
    await axe(page, 'user detail with refused preferences');

    // A test to every channel: SMS is now opted out, push reaches the live device only, email goes out.
    await page.goto(`${h.url}/dashboard/users/grace`);
    const test = page.getByRole('region', { name: 'Send a test' });
    await test.getByLabel('Title (push) and subject (email)').fill('Users page test');
    await test.getByLabel('Message', { exact: true }).fill('Hello Grace from the Users page');
    await test.getByRole('button', { name: 'Send test' }).click();
    await page.waitForURL(/\/dashboard\/notifications\/[0-9a-f-]{36}$/);
    const id = new URL(page.url()).pathname.split('/').pop()!;
    await page.getByRole('heading', { level: 1, name: `Notification ${id}` }).waitFor();

    type Delivery = { id: string; channel: string; status: string; reason?: string; to: string; provider: string; provider_message_id: string };
    const deliveries = await eventually(async () => {
      const ds = (await h.api('GET', `/v1/notifications/${id}`)).body.deliveries as Delivery[];
      return ds.filter((d) => d.channel !== 'sms').every((d) => d.status === 'sent') && ds;
    });
    expect(deliveries.map((d) => [d.channel, d.to, d.status, d.reason ?? null]).sort()).toEqual(
      [
        ['email', 'grace.hopper@example.com', 'sent', null],
        ['push', LIVE_TOKEN, 'sent', null],
        ['sms', '+14155552671', 'suppressed', 'opted_out'],
      ].sort(),
    );

    // SendGrid's signed "delivered" event comes back through the receipt hook, as it would in production.
    const mail = deliveries.find((d) => d.channel === 'email')!;
    expect(mail.provider).toBe('sendgrid');
    const sendgrid = h.herald.emulators!.sendgrid;
    expect((await sendgrid.postEvents(`${h.url}/hooks/sendgrid`, sendgrid.eventsFor(mail.provider_message_id, ['delivered']))).status).toBe(200);

    await page.reload();
    const emailTimeline = page.getByRole('region', { name: /^Email to grace\.hopper@example\.com/ });
    await expect(emailTimeline.locator('ol.timeline > li strong').allTextContents()).resolves.toEqual(['created', 'queued', 'sent', 'delivered']);
    await expect(emailTimeline.getByRole('heading', { level: 3 }).textContent()).resolves.toContain('delivered');
    await expect(page.getByRole('region', { name: /^Push \(ios\) to / }).locator('ol.timeline > li strong').allTextContents()).resolves.toContain('sent');
    await expect(page.getByRole('region', { name: /^SMS to / }).getByText('opted_out').count()).resolves.toBeGreaterThan(0);
    await shot(page, 'test-timeline');

    // The sandbox: the mailbox and the device's notification centre have it; the phone does not.
    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Sandbox' }).click();
    await page.getByRole('article', { name: 'Users page test' }).waitFor();
    await page.frameLocator('iframe[title="Email “Users page test”"]').getByText('Hello Grace from the Users page').waitFor();
    await page.getByRole('region', { name: 'iOS notification centre' }).getByText('Users page test').waitFor();
    await expect(page.getByRole('article', { name: '+14155552671' }).count()).resolves.toBe(0);

    // And the user's page lists it among their recent notifications.
    await page.goto(`${h.url}/dashboard/users/grace`);
    await page.getByRole('region', { name: 'Recent notifications' }).getByRole('link', { name: id }).waitFor();

    // A category stored through the API keeps its exact name through a save; ticking every box of one drops it.
    const viaApi = { ...saved, categories: { marketing: { email: false }, ' news ': { push: false } } };
    expect((await h.api('PUT', '/v1/users/grace/preferences', viaApi)).status).toBe(200);
    await page.reload();
    form = page.getByRole('region', { name: 'Preferences' });
    await form.getByLabel('Email for marketing').check();
    expect(await submit(page, form.getByRole('button', { name: 'Save preferences' }))).toBe(303);
    expect(await prefs('grace')).toEqual({ ...saved, categories: { ' news ': { push: false } } });
  });

  it('refuses a test it cannot send, with the reason, and sends nothing', async () => {
    const page = await newPage();
    await signIn(page);
    await page.goto(`${h.url}/dashboard/users/grace`);
    const count = async () => (await h.api('GET', '/v1/notifications?user_id=grace')).body.notifications.length;
    const before = await count();
    const test = page.getByRole('region', { name: 'Send a test' });
    await test.getByLabel('A template').check();
    await test.getByLabel('Template key').fill('no-such-template');
    expect(await submit(page, test.getByRole('button', { name: 'Send test' }))).toBe(400);
    const again = page.getByRole('region', { name: 'Send a test' });
    await expect(again.getByRole('alert').textContent()).resolves.toMatch(/no-such-template/);
    expect(await again.getByLabel('Template key').inputValue()).toBe('no-such-template');
    expect(await again.getByLabel('A template').isChecked()).toBe(true);

    await again.getByLabel('Template parameters (JSON object)').fill('[1, 2]');
    expect(await submit(page, again.getByRole('button', { name: 'Send test' }))).toBe(400);
    await expect(page.getByRole('region', { name: 'Send a test' }).getByRole('alert').textContent()).resolves.toContain('JSON object');
    expect(await count()).toBe(before);
    await axe(page, 'user detail with a refused test');
  });

  it('is scoped to the signed-in app: another app gets 404 and changes nothing; unknown users are 404', async () => {
    const other = await h.newApp('other-users');
    const page = await newPage();
    await signIn(page, other.key, other.secret);
    const res = await page.goto(`${h.url}/dashboard/users/grace`);
    expect(res?.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Not found');
    await axe(page, 'user not found');
    await shot(page, 'not-found');

    await page.goto(`${h.url}/dashboard/users?q=grace`);
    await expect(page.getByText('No user id starts with grace').count()).resolves.toBe(1);

    const before = { user: await user('grace'), prefs: await prefs('grace') };
    const csrf = await page.locator('input[name="csrf"]').first().inputValue();
    for (const [route, form] of [
      ['contacts', { csrf, email: 'taken@example.com' }],
      ['preferences', { csrf, mute: 'on' }],
      ['test', { csrf, title: 'x', message: 'y' }],
    ] as const) {
      const r = await page.request.post(`${h.url}/dashboard/users/grace/${route}`, { form, maxRedirects: 0 });
      expect(r.status(), route).toBe(404);
    }
    expect({ user: await user('grace'), prefs: await prefs('grace') }).toEqual(before);
    // Nor was a "grace" made in the other app.
    expect((await request(h.url, basic(other.key, other.secret), 'GET', '/v1/users/grace')).status).toBe(404);

    // Without the session's CSRF token the form is refused before anything is read.
    const own = await newPage();
    await signIn(own);
    const noToken = await own.request.post(`${h.url}/dashboard/users/grace/preferences`, { form: { mute: 'on' }, maxRedirects: 0 });
    expect(noToken.status()).toBe(403);
    expect(await prefs('grace')).toEqual(before.prefs);
    expect((await own.goto(`${h.url}/dashboard/users/nobody-here`))?.status()).toBe(404);
  });

  it('does not bring back a user erased while their page was open', async () => {
    expect((await h.api('PUT', '/v1/users/brief', { email: 'brief@example.com', name: 'Brief' })).status).toBe(201);
    const page = await newPage();
    await signIn(page);
    await page.goto(`${h.url}/dashboard/users/brief`);
    const contacts = page.getByRole('region', { name: 'Contacts' });
    await contacts.getByLabel('Name').fill('Brief Again');
    expect((await h.api('DELETE', '/v1/users/brief')).status).toBe(204);
    expect(await submit(page, contacts.getByRole('button', { name: 'Save contacts' }))).toBe(404);
    expect((await h.api('GET', '/v1/users/brief')).status).toBe(404);
  });

  it('works under its Content-Security-Policy: its stylesheet loads, nothing is refused', async () => {
    const page = await newPage({ bypassCSP: false });
    const violations = cspViolationsOf(page);
    await signIn(page);
    await page.goto(`${h.url}/dashboard/users/grace`);
    expect(await page.locator('.state-off').first().evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(251, 224, 221)');
    // Checkboxes sit beside their labels instead of taking the shared stylesheet's full-width inputs.
    const box = await page.getByRole('region', { name: 'Preferences' }).getByLabel('Push', { exact: true }).boundingBox();
    expect(box!.width).toBeLessThan(40);
    expect(violations).toEqual([]);
  });
});
