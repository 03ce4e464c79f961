import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { eventually, startTestHerald, type TestHerald } from './helpers/herald.js';
import { ARTIFACTS, chromiumAvailable, seriousAxeFindings, useChromium } from './helpers/browser.js';

/**
 * The end user's preference page (`/u/{token}`, SPEC §8) as a phone opens it from an email: a real
 * unsubscribe link from a sandbox email, Chromium with a phone's viewport and touch and JavaScript
 * off. It must fit the screen, have large labelled controls, pass axe, and change what the API reports.
 */
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true };
/** A category name with no place to break: it must wrap, not widen the page. */
const LONG = 'weekly-personalised-product-recommendations-and-offers';

describe.skipIf(!chromiumAvailable())('preference page on a phone', () => {
  let h: TestHerald;

  beforeAll(async () => {
    h = await startTestHerald('sqlite');
    expect((await h.api('PUT', '/v1/templates/digest', { category: 'news', channels: { email: { subject: 'Your digest', html: '<p>Hello {{ user.name }}</p>' } } })).status).toBeLessThan(300);
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });
  const newContext = useChromium();

  /** Sends the digest to a new user and answers the link from its List-Unsubscribe header (the one in the footer is the same). */
  async function unsubscribeLink(user: string, locale?: string): Promise<string> {
    expect((await h.api('PUT', `/v1/users/${user}`, { email: `${user}@example.com`, phone: '+14155552671', name: 'Pia', ...(locale ? { locale } : {}) })).status).toBe(201);
    expect((await h.api('PUT', `/v1/users/${user}/preferences`, { categories: { [LONG]: { sms: false } } })).status).toBeLessThan(300);
    const r = await h.api('POST', '/v1/notifications', { user_id: user, template: 'digest' });
    expect(r.status).toBe(202);
    const deliveryId = r.body.deliveries.find((d: { channel: string }) => d.channel === 'email').id;
    const mail = await eventually(async () => h.herald.emulators!.sendgrid.received.find((m) => m.customArgs.herald_delivery_id === deliveryId));
    const url = /^<([^>]+)>$/.exec(mail.headers['List-Unsubscribe'])![1];
    expect(mail.html).toContain(`href="${url}"`);
    return url;
  }

  /** A phone with JavaScript off, as many mail apps' in-app browsers are set. CSP is bypassed only for axe's page, below. */
  async function phone(opts: { javaScriptEnabled?: boolean } = {}): Promise<Page> {
    const context = await newContext({ ...PHONE, javaScriptEnabled: opts.javaScriptEnabled ?? false, bypassCSP: true });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    return page;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `preference-page-${name}.png`), fullPage: true });

  /** Layout facts read through the DevTools protocol, which works with the page's JavaScript off. */
  async function layoutOf(page: Page) {
    return page.evaluate(() => {
      const controls = [...document.querySelectorAll<HTMLElement>('input:not([type=hidden]), button, select, textarea, a[href]')];
      return {
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        fontSize: parseFloat(getComputedStyle(document.body).fontSize),
        // The area a finger hits: a checkbox's label (which toggles it), else the control itself.
        targets: controls.map((el) => {
          const hit = (el as HTMLInputElement).labels?.[0] ?? el;
          const r = hit.getBoundingClientRect();
          return { name: (el as HTMLInputElement).name || el.textContent?.trim() || el.tagName, height: r.height, width: r.width, right: r.right };
        }),
        unlabelled: controls.filter((el) => el.matches('input, select, textarea') && !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label')).map((el) => (el as HTMLInputElement).name),
      };
    });
  }

  async function axe(url: string, name: string): Promise<void> {
    // axe is a script; the phone above runs none, so a second phone with scripts on loads the same page for it.
    const page = await phone({ javaScriptEnabled: true });
    await page.goto(url);
    expect(await seriousAxeFindings(page), `axe on ${name}`).toEqual([]);
  }

  it('fits a phone without JavaScript, with large labelled controls, and unsubscribes through the form', async () => {
    const url = await unsubscribeLink('pia');
    const page = await phone();
    const res = await page.goto(url);
    expect(res?.status()).toBe(200);
    await page.getByRole('heading', { level: 1, name: 'Notification preferences' }).waitFor();
    expect(await page.evaluate(() => document.scripts.length)).toBe(0);

    const before = await layoutOf(page);
    expect(before.scrollWidth, 'no sideways scrolling').toBeLessThanOrEqual(before.innerWidth);
    expect(before.innerWidth).toBe(390);
    expect(before.fontSize).toBeGreaterThanOrEqual(16);
    expect(before.unlabelled).toEqual([]);
    expect(before.targets.length).toBeGreaterThanOrEqual(1 + 3 + 2 * 3);
    for (const t of before.targets) {
      expect(t.height, `tap target ${t.name}`).toBeGreaterThanOrEqual(44);
      expect(t.right, `tap target ${t.name} on screen`).toBeLessThanOrEqual(390);
    }
    await axe(url, 'preference page');
    await shot(page, 'phone');

    // A topic first: no more news by email, tapped as a finger would.
    const news = page.getByRole('group', { name: 'news' });
    const newsEmail = news.getByRole('checkbox', { name: 'Email' });
    expect(await newsEmail.isChecked()).toBe(true);
    await news.getByText('Email', { exact: true }).tap();
    expect(await newsEmail.isChecked()).toBe(false);
    await page.getByRole('button', { name: 'Save preferences' }).tap();
    await page.getByRole('status').getByText('Your preferences have been saved.').waitFor();
    let prefs = (await h.api('GET', '/v1/users/pia/preferences')).body;
    expect(prefs.categories.news).toEqual({ push: true, sms: true, email: false });
    expect(prefs.categories[LONG]).toEqual({ push: true, sms: false, email: true });
    expect(prefs.channels).toEqual({ push: true, sms: true, email: true });
    const saved = await layoutOf(page);
    expect(saved.scrollWidth).toBeLessThanOrEqual(saved.innerWidth);
    await shot(page, 'phone-saved');

    // Then no email at all: the channel box.
    const channels = page.getByRole('group', { name: 'Channels' });
    await channels.getByText('Email', { exact: true }).tap();
    expect(await channels.getByRole('checkbox', { name: 'Email' }).isChecked()).toBe(false);
    await page.getByRole('button', { name: 'Save preferences' }).tap();
    await page.getByRole('status').getByText('Your preferences have been saved.').waitFor();
    prefs = (await h.api('GET', '/v1/users/pia/preferences')).body;
    expect(prefs.channels).toEqual({ push: true, sms: true, email: false });
    expect(prefs.categories.news.email).toBe(false);
    // What the page shows now is what was stored.
    expect(await page.getByRole('group', { name: 'Channels' }).getByRole('checkbox', { name: 'Email' }).isChecked()).toBe(false);
    expect(await page.getByRole('group', { name: 'news' }).getByRole('checkbox', { name: 'Text messages (SMS)' }).isChecked()).toBe(true);

    // And it holds: the next email to Pia is suppressed, not sent.
    const next = await h.api('POST', '/v1/notifications', { user_id: 'pia', template: 'digest' });
    expect(next.status).toBe(202);
    expect(next.body.deliveries.find((x: { channel: string }) => x.channel === 'email')).toMatchObject({ status: 'suppressed' });
    await axe(url, 'preference page after saving');
    await shot(page, 'phone-unsubscribed');
  });

  it('fits a small phone in a long-worded language too', async () => {
    const url = await unsubscribeLink('karl', 'de');
    const page = await phone();
    await page.setViewportSize({ width: 320, height: 640 });
    await page.goto(url);
    await page.getByRole('button', { name: 'Einstellungen speichern' }).waitFor();
    const l = await layoutOf(page);
    expect(l.scrollWidth).toBeLessThanOrEqual(320);
    for (const t of l.targets) expect(t.height, `tap target ${t.name}`).toBeGreaterThanOrEqual(44);
    await shot(page, 'small-phone-de');
  });
});
