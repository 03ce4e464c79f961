import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { basic, request, startTestHerald, type TestHerald } from './helpers/herald.js';
import { ARTIFACTS, chromiumAvailable, cspViolationsOf, seriousAxeFindings, signInToDashboard, useChromium } from './helpers/browser.js';

/**
 * The dashboard's Templates pages (SPEC §4, §8) in Debian's Chromium: creating a template, the live
 * preview (push banner, SMS bubble with encoding and segments, email in its frame) following the
 * form, saving versions, history and diff, Liquid errors kept from a save, locales, a stale form,
 * the page without JavaScript, one app kept from another's templates, and axe-core on each page.
 */

describe.skipIf(!chromiumAvailable())('dashboard templates in Chromium', () => {
  let h: TestHerald;

  beforeAll(async () => {
    h = await startTestHerald('sqlite');
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });
  const newContext = useChromium();

  /** axe is injected as an inline script, which the pages' CSP would refuse: bypassed except where the CSP itself is tested. */
  async function newPage(opts: { bypassCSP?: boolean; javaScriptEnabled?: boolean } = {}): Promise<Page> {
    const context = await newContext({ bypassCSP: opts.bypassCSP ?? true, javaScriptEnabled: opts.javaScriptEnabled ?? true });
    // A step that cannot happen fails with its own name well before the test's timeout.
    context.setDefaultTimeout(10_000);
    return context.newPage();
  }

  const signIn = (page: Page) => signInToDashboard(page, h.url, h.key, h.secret);

  async function axe(page: Page, name: string): Promise<void> {
    expect(await seriousAxeFindings(page), `axe on ${name}`).toEqual([]);
  }

  /** The whole page. Chromium paints the email's frame (out of process) only inside the viewport, so the viewport is made as tall as the page first. */
  async function shot(page: Page, name: string): Promise<void> {
    const size = page.viewportSize() ?? { width: 1280, height: 720 };
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({ width: size.width, height: Math.min(Math.max(height, size.height), 4000) });
    await page.waitForTimeout(100);
    await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-templates-${name}.png`), fullPage: true });
    await page.setViewportSize(size);
  }
  const preview = (page: Page) => page.locator('#template-preview');
  const bubble = (page: Page) => preview(page).locator('.pv-sms .sms-bubble');
  const smsMeta = (page: Page) => preview(page).locator('.pv-sms .sms-meta');
  const bannerTitle = (page: Page) => preview(page).locator('.pv-push .banner-title');
  const emailFrame = (page: Page) => page.frameLocator('#template-preview .pv-email iframe');
  const textOf = async (l: Locator, want: string | RegExp) => expect.poll(() => l.textContent(), { timeout: 10_000 }).toMatch(want);
  const versionsOf = async (key: string) => (await h.api('GET', `/v1/templates/${key}`)).body.versions as { version: number }[];
  const SAMPLE = JSON.stringify({ params: { order: '8812' }, user: { name: 'Ada' } });

  it('creates a template, previews it live as it is typed, saves versions and shows their diff', async () => {
    const page = await newPage();
    await signIn(page);
    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Templates' }).click();
    await page.getByRole('heading', { level: 1, name: 'Templates' }).waitFor();
    await axe(page, 'template list, empty');

    // A key that is no key says why; a good one opens the editor of a new template.
    await page.getByLabel('Key').fill('order shipped');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('A template key is 1–200 characters');
    await axe(page, 'template list with an error');
    await page.getByLabel('Key').fill('order_shipped');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { level: 1, name: 'New template' }).waitFor();
    await expect(preview(page).textContent()).resolves.toContain('Nothing to preview yet');

    // SMS: the bubble, its encoding and segment count follow the text.
    await page.getByLabel('Sample variables (JSON)').fill(SAMPLE);
    await page.getByLabel('Text', { exact: true }).fill('Hi {{ user.name }}, order {{ params.order }} shipped.');
    await textOf(bubble(page), /^Hi Ada, order 8812 shipped\.$/);
    await textOf(smsMeta(page), 'GSM-7 · 1 segment · 27 characters');
    await page.getByLabel('Text', { exact: true }).fill(`Hi {{ user.name }}, ${'x'.repeat(160)}`);
    await textOf(smsMeta(page), 'GSM-7 · 2 segments · 168 characters');
    await page.getByLabel('Text', { exact: true }).fill('Hi {{ user.name }}, order {{ params.order }} shipped 📦');
    await textOf(smsMeta(page), 'UCS-2 · 1 segment · 28 characters');
    await expect(preview(page).locator('.pv-sms .char').allTextContents()).resolves.toEqual(['📦']);

    // Push: the lock-screen banner, with the app's name.
    await page.getByLabel('Title').first().fill('Order {{ params.order }} is on its way');
    await page.getByLabel('Body').first().fill('Tap to track it.');
    await textOf(bannerTitle(page), 'Order 8812 is on its way');
    await expect(preview(page).locator('.pv-push .banner-app').textContent()).resolves.toBe('bootstrap');
    await expect(preview(page).locator('.pv-push .banner-body').textContent()).resolves.toBe('Tap to track it.');

    // Email: the subject line and the HTML in its sandboxed frame, its inline styles applied.
    await page.getByLabel('Subject').fill('Your order {{ params.order }}');
    await page.getByLabel('HTML', { exact: true }).fill('<p style="color:#a00">Hello {{ user.name }}</p>');
    await textOf(preview(page).locator('.pv-email .email-subject'), 'Your order 8812');
    await emailFrame(page).getByText('Hello Ada').waitFor();
    await expect(page.locator('#template-preview .pv-email iframe').getAttribute('sandbox')).resolves.toBe('');
    await expect(preview(page).locator('.pv-email pre.mail-text').textContent()).resolves.toBe('Hello Ada');
    await axe(page, 'new template editor');
    await shot(page, 'new');

    // Saving makes version 1, as PUT /v1/templates does.
    await page.getByRole('button', { name: 'Create version 1' }).click();
    await page.getByText('Saved as version 1.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/dashboard/templates/order_shipped');
    const v1 = (await h.api('GET', '/v1/templates/order_shipped')).body;
    expect(v1).toMatchObject({ version: 1, channels: { sms: { text: 'Hi {{ user.name }}, order {{ params.order }} shipped 📦' }, push: { title: 'Order {{ params.order }} is on its way' } } });
    // Without typed samples the page starts from the variables the template reads.
    await textOf(bannerTitle(page), 'Order order is on its way');
    expect(JSON.parse(await page.getByLabel('Sample variables (JSON)').inputValue())).toEqual({ params: { order: 'order' }, user: { name: 'Ada Lovelace' } });

    // An edit, saved: version 2.
    await page.getByLabel('Text', { exact: true }).fill('Order {{ params.order }} shipped.\nTrack it in the app.');
    await textOf(bubble(page), 'Order order shipped.\nTrack it in the app.');
    await page.getByRole('button', { name: 'Save as version 2' }).click();
    await page.getByText('Saved as version 2.').waitFor();
    await axe(page, 'template editor');
    await shot(page, 'editor');
    expect((await versionsOf('order_shipped')).map((v) => v.version)).toEqual([2, 1]);

    // The list shows it.
    await page.getByRole('link', { name: 'Templates', exact: true }).first().click();
    const row = page.getByRole('row', { name: /order_shipped/ });
    await expect(row.getByRole('cell').allTextContents()).resolves.toEqual(expect.arrayContaining(['push, SMS, email', '2 (history of order_shipped)']));
    await axe(page, 'template list');
    await shot(page, 'list');

    // History: both versions; comparing them shows the changed line of the SMS text, and only that field.
    await row.getByRole('link', { name: '2 (history of order_shipped)' }).click();
    await page.getByRole('heading', { level: 1, name: 'History of order_shipped' }).waitFor();
    await expect(page.getByRole('rowheader').allTextContents()).resolves.toEqual(['Version 2 (current)', 'Version 1']);
    await axe(page, 'history');
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.getByRole('heading', { level: 1, name: 'order_shipped: version 1 → 2' }).waitFor();
    await expect(page.getByText('1 of 6 fields changed').count()).resolves.toBe(1);
    const diff = page.getByRole('region', { name: 'SMS · Text' });
    await expect(diff.locator('.d-del').allTextContents()).resolves.toEqual(['−Removed: Hi {{ user.name }}, order {{ params.order }} shipped 📦']);
    await expect(diff.locator('.d-add').allTextContents()).resolves.toEqual(['+Added: Order {{ params.order }} shipped.', '+Added: Track it in the app.']);
    await axe(page, 'diff');
    await shot(page, 'diff');

    // Any version can be viewed, and saved again as the newest.
    await page.goto(`${h.url}/dashboard/templates/order_shipped/versions/1`);
    await textOf(bubble(page), 'Hi Ada Lovelace, order order shipped 📦');
    await axe(page, 'version 1');
    await page.getByRole('button', { name: 'Restore: save this content as version 3' }).click();
    await page.getByText('Saved again as version 3.').waitFor();
    expect((await h.api('GET', '/v1/templates/order_shipped')).body.channels.sms.text).toBe(v1.channels.sms.text);
  });

  it('shows Liquid and schema errors next to their fields and saves nothing; a stale form is stopped', { timeout: 60_000 }, async () => {
    expect((await h.api('PUT', '/v1/templates/welcome', { channels: { sms: { text: 'Welcome, {{ user.name }}!' }, email: { subject: 'Welcome', html: '<p>Hi</p>' } } })).status).toBe(201);
    const page = await newPage();
    await signIn(page);
    await page.goto(`${h.url}/dashboard/templates/welcome`);
    const text = page.getByLabel('Text', { exact: true });
    const textError = page.locator('[data-error-for="sms.text"]');

    // Typed: the error shows under the field as the preview updates, and the SMS preview says why it is missing.
    await text.fill('Welcome {% if user.name %}back');
    await textOf(textError, /Liquid syntax error: .*if/);
    await expect(text.getAttribute('aria-invalid')).resolves.toBe('true');
    await textOf(preview(page).locator('.pv-sms'), 'Fix Text to see this channel.');
    await page.getByLabel('Subject').fill('');
    await textOf(page.locator('[data-error-for="email.subject"]'), 'Needed when this channel has content.');

    // Saved: refused, with a summary linking to each field, and no new version.
    const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Save as version 2' }).click()]);
    expect(res.status()).toBe(400);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/Nothing was saved: 2 things need a fix\..*SMS · Text: Liquid syntax error.*Email · Subject: Needed when this channel has content/);
    await expect(textError.textContent()).resolves.toMatch(/Liquid syntax error/);
    await expect(text.inputValue()).resolves.toBe('Welcome {% if user.name %}back');
    await axe(page, 'editor with errors');
    await shot(page, 'errors');
    expect((await versionsOf('welcome')).map((v) => v.version)).toEqual([1]);

    // Fixed, the errors clear as it is typed.
    await text.fill('Welcome {% if user.name %}back{% endif %}');
    await page.getByLabel('Subject').fill('Welcome');
    await expect.poll(() => textError.textContent()).toBe('');
    await expect(text.getAttribute('aria-invalid')).resolves.toBeNull();

    // Someone saves meanwhile: this form's save is stopped with a 409, its text kept; saving again wins.
    expect((await h.api('PUT', '/v1/templates/welcome', { channels: { sms: { text: 'From the API' } } })).status).toBe(200);
    const [stale] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Save as version 2' }).click()]);
    expect(stale.status()).toBe(409);
    await page.getByText('Nothing was saved: version 2 was saved').waitFor();
    await expect(text.inputValue()).resolves.toBe('Welcome {% if user.name %}back{% endif %}');
    await page.getByRole('button', { name: 'Save as version 3' }).click();
    await page.getByText('Saved as version 3.').waitFor();
    expect((await h.api('GET', '/v1/templates/welcome')).body.channels.sms.text).toBe('Welcome {% if user.name %}back{% endif %}');

    // A locale page: its own tab, hints of what the default gives.
    await page.goto(`${h.url}/dashboard/templates/welcome?locale=pt-BR`);
    await page.getByRole('heading', { level: 2, name: 'Content for pt-BR' }).waitFor();
    await expect(page.getByText('Empty: uses the default, “Welcome {% if user.name %}back{% endif %}”.').count()).resolves.toBe(1);
    await axe(page, 'locale editor');

    // A POST without the CSRF token changes nothing.
    const noToken = await page.request.post(`${h.url}/dashboard/templates/welcome`, { form: { 'sms.text': 'x', base_version: '3' }, maxRedirects: 0 });
    expect(noToken.status()).toBe(403);
    const noTokenPreview = await page.request.post(`${h.url}/dashboard/api/templates/preview`, { form: { key: 'welcome', 'sms.text': 'x' } });
    expect(noTokenPreview.status()).toBe(403);
    expect((await versionsOf('welcome')).map((v) => v.version)).toEqual([3, 2, 1]);
  });

  it('works without JavaScript: Preview renders on the server, and a locale override is added and previewed', async () => {
    const digest = {
      channels: {
        push: { title: 'Your digest', body: '{{ params.count }} new posts', sound: 'ping.caf', x_custom: 'kept' },
        web: { title: 'Digest on the web', url: 'https://example.com/d' },
        sms: { text: 'Digest: {{ params.count }} new posts' },
      },
    };
    expect((await h.api('PUT', '/v1/templates/digest', digest)).status).toBe(201);
    const page = await newPage({ javaScriptEnabled: false });
    await signIn(page);
    await page.goto(`${h.url}/dashboard/templates/digest`);
    await expect(bannerTitle(page).textContent()).resolves.toBe('Your digest');
    await expect(preview(page).locator('.pv-push .pv-extras').textContent()).resolves.toBe('Soundping.caf');
    await expect(preview(page).locator('.pv-web .banner-title').textContent()).resolves.toBe('Digest on the web');
    // Web push has content, so its folded section is open.
    await expect(page.locator('details.web-push').getAttribute('open')).resolves.toBe('');
    await expect(page.locator('.js-only').isVisible()).resolves.toBe(false);

    await page.getByLabel('Text', { exact: true }).fill('Digest: {{ params.count }} new posts — see them now');
    await page.getByLabel('Sample variables (JSON)').fill('{"params": {"count": 7}}');
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/dashboard/templates/digest/preview')), page.getByRole('button', { name: 'Preview' }).click()]);
    expect(res.status()).toBe(200);
    await expect(bubble(page).textContent()).resolves.toBe('Digest: 7 new posts — see them now');
    // "—" is not in GSM-7.
    await expect(smsMeta(page).textContent()).resolves.toBe('UCS-2 · 1 segment · 34 characters');
    await expect(page.getByLabel('Text', { exact: true }).inputValue()).resolves.toBe('Digest: {{ params.count }} new posts — see them now');
    expect((await versionsOf('digest')).map((v) => v.version)).toEqual([1]);
    await shot(page, 'no-js-preview');

    // A Liquid error without JavaScript: shown after Preview, next to its field.
    await page.getByLabel('Title').first().fill('{{ params.count | nosuchfilter }}');
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect(page.locator('[data-error-for="push.title"]').textContent()).resolves.toMatch(/Liquid syntax error: .*nosuchfilter/);

    // A Korean override of the push title: the body still comes from the default.
    await page.goto(`${h.url}/dashboard/templates/digest`);
    await page.getByLabel('Add or open a locale').fill('ko');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('heading', { level: 2, name: 'Content for ko' }).waitFor();
    await expect(page.getByRole('navigation', { name: 'Locales' }).getByRole('link', { name: 'ko (new)' }).getAttribute('aria-current')).resolves.toBe('page');
    await page.getByLabel('Title').first().fill('다이제스트');
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect(bannerTitle(page).textContent()).resolves.toBe('다이제스트');
    await expect(preview(page).locator('.pv-push .banner-body').textContent()).resolves.toBe('count new posts');
    await page.getByRole('button', { name: 'Save as version 2' }).click();
    await page.getByText('Saved as version 2.').waitFor();
    expect(new URL(page.url()).searchParams.get('locale')).toBe('ko');
    const saved = (await h.api('GET', '/v1/templates/digest')).body;
    expect(saved.locales).toEqual({ ko: { push: { title: '다이제스트' } } });
    // Everything else is as it was, including the field the form has no control for.
    expect(saved.channels).toEqual(digest.channels);
    const api = await h.api('POST', '/v1/templates/digest/preview', { params: { count: 3 }, locale: 'ko' });
    expect(api.body.channels.push).toEqual({ title: '다이제스트', body: '3 new posts', sound: 'ping.caf' });

    // Emptied and saved, the override is removed.
    await page.getByLabel('Title').first().fill('');
    await page.getByRole('button', { name: 'Save as version 3' }).click();
    await page.getByText('Saved as version 3, without the ko override.').waitFor();
    expect((await h.api('GET', '/v1/templates/digest')).body.locales).toEqual({});
  });

  it('keeps each app to its own templates', async () => {
    const other = await h.newApp('other');
    const theirs = await request(h.url, basic(other.key, other.secret), 'PUT', '/v1/templates/theirs', { channels: { sms: { text: 'Their secret text' } }, locales: { ko: { sms: { text: '비밀' } } } });
    expect(theirs.status).toBe(201);
    const page = await newPage();
    await signIn(page);
    for (const route of ['/dashboard/templates/theirs', '/dashboard/templates/theirs/versions', '/dashboard/templates/theirs/versions/1', '/dashboard/templates/theirs/diff?from=1&to=1']) {
      const res = await page.goto(`${h.url}${route}`);
      expect(res?.status(), route).toBe(404);
      expect(await page.content()).not.toContain('Their secret text');
    }
    await page.goto(`${h.url}/dashboard/templates`);
    await expect(page.getByRole('link', { name: 'theirs' }).count()).resolves.toBe(0);
    // Creating "theirs" here is this app's own template, not theirs.
    await page.getByLabel('Key').fill('theirs');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { level: 1, name: 'New template' }).waitFor();

    // Writes and previews aimed at their template are refused and change nothing.
    const csrf = await page.locator('input[name="csrf"]').first().inputValue();
    const post = await page.request.post(`${h.url}/dashboard/templates/theirs`, { form: { csrf, 'sms.text': 'Mine now', base_version: '1' }, maxRedirects: 0 });
    expect(post.status()).toBe(404);
    const restore = await page.request.post(`${h.url}/dashboard/templates/theirs/versions/1/restore`, { form: { csrf }, maxRedirects: 0 });
    expect(restore.status()).toBe(404);
    const peek = await page.request.post(`${h.url}/dashboard/api/templates/preview`, { form: { csrf, key: 'theirs', locale: 'ko' } });
    expect(peek.status()).toBe(404);
    expect(await peek.text()).not.toContain('비밀');
    const after = await request(h.url, basic(other.key, other.secret), 'GET', '/v1/templates/theirs');
    expect(after.body).toMatchObject({ version: 1, channels: { sms: { text: 'Their secret text' } } });
  });

  it('runs under the page CSP: the script previews live and the email frame keeps its styles, without scripts', async () => {
    expect((await h.api('PUT', '/v1/templates/csp', { channels: { email: { subject: 'Styled', html: '<p style="color:#a00">Styled</p><script>document.title="ran"</script>' } } })).status).toBe(201);
    const page = await newPage({ bypassCSP: false });
    const violations = cspViolationsOf(page);
    await signIn(page);
    await page.goto(`${h.url}/dashboard/templates/csp`);
    const styled = emailFrame(page).getByText('Styled');
    await styled.waitFor();
    expect(await styled.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(170, 0, 0)');
    await page.getByLabel('HTML', { exact: true }).fill('<p style="color:#00a">Restyled</p>');
    const restyled = emailFrame(page).getByText('Restyled');
    await restyled.waitFor({ timeout: 10_000 });
    expect(await restyled.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(0, 0, 170)');
    expect(await page.title()).toBe('Template csp · Herald');
    expect(violations.filter((v) => !/img-src|script/.test(v))).toEqual([]);
  });
});
