import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { basic, eventually, request, startTestHerald, type TestHerald } from './helpers/herald.js';
import { startTwilioEmulator, type TwilioEmulator } from '../src/emulators/twilio/emulator.js';
import { startFcmEmulator, type FcmEmulator } from '../src/emulators/fcm/index.js';
import { ARTIFACTS, chromiumAvailable, seriousAxeFindings, signInToDashboard, useChromium } from './helpers/browser.js';

/**
 * The dashboard's providers page in Chromium, against a sandbox Herald: the emulators in use with
 * primary and fallback, this app's saved settings and their order, secrets never shown, test sends
 * through one provider with its answer, refusals that store nothing, and another app seeing none of it.
 */

describe.skipIf(!chromiumAvailable())('providers page in Chromium', () => {
  const newContext = useChromium();

  /** A fresh profile, signed in; CSP is bypassed only so axe can be injected. */
  async function signedInPage(h: TestHerald, key = h.key, secret = h.secret): Promise<Page> {
    const context = await newContext({ bypassCSP: true });
    const page = await context.newPage();
    // Well inside the test's own timeout, so a stuck step fails with its line.
    page.setDefaultTimeout(10_000);
    await signInToDashboard(page, h.url, key, secret);
    return page;
  }

  async function axe(page: Page, name: string): Promise<void> {
    expect(await seriousAxeFindings(page), `axe on ${name}`).toEqual([]);
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `dashboard-providers-${name}.png`), fullPage: true });

  /** The rows of a table as the text of each cell, header cells included. */
  const rowsOf = (page: Page, table: string) =>
    page
      .getByRole('table', { name: table })
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => (c as HTMLElement).innerText.trim())));

  const savedOf = async (h: TestHerald) => (await h.api('GET', '/v1/providers')).body.providers.map((p: { name: string; priority: number }) => `${p.name}:${p.priority}`);

  describe('in sandbox mode', () => {
    let h: TestHerald;
    const emu = () => h.herald.emulators!;
    beforeAll(async () => {
      // Endpoints point at the sandbox's own emulators on loopback, as a tenant's may only with the operator's flag (SPEC §11).
      h = await startTestHerald('sqlite', { HERALD_ALLOW_PRIVATE_NETWORKS: '1' });
    });
    afterAll(async () => {
      await h?.stop();
    });
    const signedIn = (key?: string, secret?: string) => signedInPage(h, key, secret);

    const secrets = () => [emu().vonage.apiSecret, emu().twilio.authToken, 'wrong-token-for-the-test'];
    async function expectNoSecret(page: Page): Promise<void> {
      const content = await page.content();
      for (const s of secrets()) expect(content).not.toContain(s);
    }
    const savedNames = () => savedOf(h);

    it('lists the sandbox emulators in use with primary and fallback per channel', async () => {
      const page = await signedIn();
      await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Providers' }).click();
      await page.getByRole('heading', { level: 1, name: 'Providers' }).waitFor();
      const inUse = await rowsOf(page, 'Sandbox providers in failover order');
      const brief = inUse.map(([channel, role, provider, circuit]) => `${channel}|${role}|${provider}|${circuit}`);
      expect(brief).toEqual([
        'Push (iOS devices)|Primary (no fallback)|APNs|closed (healthy)',
        'Push (Android devices)|Primary (no fallback)|FCM|closed (healthy)',
        'Push (Web browsers)|Primary (no fallback)|Web Push|closed (healthy)',
        'SMS|Primary|Twilio|closed (healthy)',
        'SMS|Fallback 1|Vonage|closed (healthy)',
        'Email|Primary|SendGrid|closed (healthy)',
        'Email|Fallback 1|SMTP|closed (healthy)',
      ]);
      expect(inUse.every((r) => r[4] === '0 %')).toBe(true);
      await page.getByText('No SMS provider is configured for this app').waitFor();
      await axe(page, 'providers (sandbox, nothing saved)');
      await shot(page, 'sandbox');
    });

    it('configures a second SMS provider, shows the order, changes it, and never shows a secret', async () => {
      const page = await signedIn();
      await page.goto(`${h.url}/dashboard/providers`);

      // Twilio first, with a wrong token: saved (the schema cannot know), and the test says what Twilio said.
      await page.getByRole('link', { name: 'Add Twilio' }).click();
      await page.getByRole('heading', { level: 1, name: /Twilio/ }).waitFor();
      await page.getByText('Save the settings first').waitFor();
      await page.getByLabel('Account SID').fill(emu().twilio.accountSid);
      await page.getByLabel('Auth token').fill('wrong-token-for-the-test');
      await page.getByLabel(/^From/).fill('+15005550006');
      await page.getByLabel(/^Endpoint/).fill(emu().twilio.url);
      await axe(page, 'new provider form');
      await page.getByRole('button', { name: 'Save Twilio settings' }).click();
      await page.getByText('Twilio settings saved.').waitFor();
      expect(await savedNames()).toEqual(['twilio:0']);

      // Then Vonage against the sandbox's Vonage emulator: the registry's order makes it the fallback.
      await page.getByRole('link', { name: 'Add Vonage' }).click();
      await page.getByLabel('API key').fill(emu().vonage.apiKey);
      await page.getByLabel('API secret').fill(emu().vonage.apiSecret);
      await page.getByLabel(/^From/).fill('Herald');
      await page.getByLabel(/^Endpoint/).fill(emu().vonage.url);
      await page.getByRole('button', { name: 'Save Vonage settings' }).click();
      await page.getByText('Vonage settings saved.').waitFor();
      let sms = await rowsOf(page, 'SMS providers in failover order');
      expect(sms.map((r) => `${r[0]}|${r[1]}|${r[2]}`)).toEqual(['Primary|Twilio|0', 'Fallback 1|Vonage|10']);
      // Secrets read *** exactly as GET /v1/providers has them; the values never reach the page.
      expect(sms[0][3]).toContain('Auth token: ***');
      expect(sms[1][3]).toContain('API secret: ***');
      expect(sms[1][3]).toContain(`API key: ${emu().vonage.apiKey}`);
      const api = (await h.api('GET', '/v1/providers')).body.providers;
      expect(api.find((p: { name: string }) => p.name === 'vonage').config).toMatchObject({ api_key: emu().vonage.apiKey, api_secret: '***' });
      await expectNoSecret(page);
      await axe(page, 'providers with saved settings');
      await shot(page, 'saved');

      // Vonage up: it becomes primary, Twilio the fallback; the API agrees.
      await page.getByRole('button', { name: 'Move up Vonage' }).click();
      await page.getByText('Vonage moved.').waitFor();
      sms = await rowsOf(page, 'SMS providers in failover order');
      expect(sms.map((r) => `${r[0]}|${r[1]}`)).toEqual(['Primary|Vonage', 'Fallback 1|Twilio']);
      expect(await savedNames()).toEqual(['vonage:0', 'twilio:10']);

      // Disabled, Twilio stays listed but leaves the order.
      await page.getByRole('link', { name: 'Twilio', exact: true }).click();
      await page.getByLabel('Enabled (takes traffic)').uncheck();
      await page.getByRole('button', { name: 'Save Twilio settings' }).click();
      sms = await rowsOf(page, 'SMS providers in failover order');
      expect(sms.map((r) => `${r[0]}|${r[1]}`)).toEqual(['Primary|Vonage', 'Disabled|Twilio']);

      // The edit form shows no secret back, not even in a password field.
      await page.goto(`${h.url}/dashboard/providers/vonage`);
      expect(await page.getByLabel('API secret').inputValue()).toBe('');
      expect(await page.getByLabel('API key').inputValue()).toBe(emu().vonage.apiKey);
      await page.getByText('A value is stored (never shown). Leave blank to keep it.').first().waitFor();
      await expectNoSecret(page);

      // Stored sealed: the database holds no secret either.
      const db = new Database(path.join(h.dataDir, 'herald.db'), { readonly: true });
      const stored = JSON.stringify(db.prepare('select * from providers').all());
      db.close();
      for (const s of secrets()) expect(stored).not.toContain(s);
    });

    it('sends a test through exactly one provider and shows its answer: accepted, refused by a rule, refused by the provider', async () => {
      const page = await signedIn();
      // Vonage: saved with a blank secret (kept), a new sender; the emulator checks the kept credentials.
      await page.goto(`${h.url}/dashboard/providers/vonage`);
      await page.getByLabel(/^From/).fill('HeraldTest');
      await page.getByRole('button', { name: 'Save Vonage settings' }).click();
      await page.getByText('Vonage settings saved.').waitFor();
      await page.goto(`${h.url}/dashboard/providers/vonage`);
      const before = emu().vonage.received.length;
      await page.getByLabel('Phone number (E.164, e.g. +14155552671)').fill('+14155552671');
      await page.getByRole('button', { name: 'Send test through Vonage' }).click();
      const ok = page.getByRole('status').filter({ hasText: 'Vonage accepted the test' });
      await ok.waitFor();
      const sent = emu().vonage.received.slice(before);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ to: '14155552671', from: 'HeraldTest' });
      expect(sent[0].text).toContain('Test message from Herald');
      expect(await ok.textContent()).toContain(`Message id: ${sent[0].messageIds[0]}`);
      // A test is not a notification: the log has none.
      expect((await h.api('GET', '/v1/notifications')).body.data ?? []).toEqual([]);
      await axe(page, 'test accepted');
      await shot(page, 'test-accepted');

      // A sandbox test recipient that does not exist.
      await page.getByLabel('Phone number (E.164, e.g. +14155552671)').fill('+15005550001');
      await page.getByRole('button', { name: 'Send test through Vonage' }).click();
      const refused = page.getByRole('alert').filter({ hasText: 'Vonage refused the test' });
      await refused.waitFor();
      const text = await refused.innerText();
      expect(text).toMatch(/Error class\s+invalid_recipient/);
      expect(text).toMatch(/Provider code\s+sandbox_invalid_recipient/);
      expect(emu().vonage.received.length).toBe(before + 1);
      await axe(page, 'test refused');
      await shot(page, 'test-refused');

      // Twilio (disabled, still testable) with its wrong token: the emulator's 401 as Twilio words it.
      await page.goto(`${h.url}/dashboard/providers/twilio`);
      await page.getByLabel('Phone number (E.164, e.g. +14155552671)').fill('+14155552671');
      await page.getByRole('button', { name: 'Send test through Twilio' }).click();
      const auth = await page.getByRole('alert').filter({ hasText: 'Twilio refused the test' }).innerText();
      expect(auth).toMatch(/Error class\s+permanent/);
      expect(auth).toMatch(/Status\s+401/);
      // The right token, typed in: now Twilio takes it.
      await page.getByLabel('Auth token').fill(emu().twilio.authToken);
      await page.getByRole('button', { name: 'Save Twilio settings' }).click();
      await page.getByText('Twilio settings saved.').waitFor();
      await page.goto(`${h.url}/dashboard/providers/twilio`);
      await page.getByLabel('Phone number (E.164, e.g. +14155552671)').fill('+14155552671');
      await page.getByRole('button', { name: 'Send test through Twilio' }).click();
      await page.getByRole('status').filter({ hasText: 'Twilio accepted the test' }).waitFor();
      await expectNoSecret(page);
    });

    it('refuses bad input with 4xx, keeps what was typed, and stores nothing', async () => {
      const page = await signedIn();
      const before = await savedNames();

      // A new provider with a malformed field: the page again, the field marked, nothing saved.
      await page.goto(`${h.url}/dashboard/providers/smtp`);
      await page.getByLabel('Host').fill('mail.example.com');
      await page.getByLabel('Port', { exact: true }).fill('70000');
      await page.getByLabel(/^From/).fill('Shop <shop@example.com>');
      const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Save SMTP settings' }).click()]);
      expect(res.status()).toBe(400);
      await expect(page.getByRole('alert').innerText()).resolves.toContain('Port: Expected integer to be less or equal to 65535');
      expect(await page.getByLabel('Port', { exact: true }).getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByLabel('Host').inputValue()).toBe('mail.example.com');
      await axe(page, 'settings refused');
      await shot(page, 'settings-refused');

      // An existing provider: a bad account SID changes nothing of what is stored.
      await page.goto(`${h.url}/dashboard/providers/twilio`);
      await page.getByLabel('Account SID').fill('nope');
      const [bad] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Save Twilio settings' }).click()]);
      expect(bad.status()).toBe(400);
      await expect(page.getByRole('alert').innerText()).resolves.toContain('Account SID: ');
      // A required secret left blank on a new provider is named, not guessed.
      await page.goto(`${h.url}/dashboard/providers/sendgrid`);
      await page.getByLabel(/^From/).fill('shop@example.com');
      const [noKey] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Save SendGrid settings' }).click()]);
      expect(noKey.status()).toBe(400);
      await expect(page.getByRole('alert').innerText()).resolves.toContain('API key: ');

      // A recipient that is no phone number: 400, nothing sent.
      await page.goto(`${h.url}/dashboard/providers/vonage`);
      const sentBefore = emu().vonage.received.length;
      await page.getByLabel('Phone number (E.164, e.g. +14155552671)').fill('call me maybe');
      const [badTo] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Send test through Vonage' }).click()]);
      expect(badTo.status()).toBe(400);
      await expect(page.getByRole('alert').innerText()).resolves.toContain('E.164');
      expect(await page.getByLabel('Phone number (E.164, e.g. +14155552671)').inputValue()).toBe('call me maybe');
      expect(emu().vonage.received.length).toBe(sentBefore);

      // Forms posted by hand: an unknown provider, a bad direction, a test through a provider not saved, no CSRF token.
      const csrf = await page.locator('input[name="csrf"]').first().inputValue();
      const post = (route: string, form: Record<string, string>) => page.request.post(`${h.url}${route}`, { form, maxRedirects: 0 });
      expect((await post('/dashboard/providers/pigeon', { csrf })).status()).toBe(404);
      expect((await page.goto(`${h.url}/dashboard/providers/pigeon`))?.status()).toBe(404);
      expect((await post('/dashboard/providers/vonage/move', { csrf, direction: 'sideways' })).status()).toBe(400);
      expect((await post('/dashboard/providers/apns/test', { csrf, to: 'a1'.repeat(32) })).status()).toBe(404);
      expect((await post('/dashboard/providers/vonage/delete', {})).status()).toBe(403);
      expect(await savedNames()).toEqual(before);
    });

    it('shows another app none of it, and lets it change none of it', async () => {
      const other = await h.newApp('other shop');
      const page = await signedIn(other.key, other.secret);
      await page.goto(`${h.url}/dashboard/providers`);
      await page.getByText('No SMS provider is configured for this app').waitFor();
      await expect(page.getByRole('table', { name: 'SMS providers in failover order' }).count()).resolves.toBe(0);
      await expectNoSecret(page);
      expect(await page.content()).not.toContain(emu().vonage.apiKey);
      await page.goto(`${h.url}/dashboard/providers/vonage`);
      await page.getByText('Not configured for this app yet.').waitFor();
      expect(await page.getByLabel('API key').inputValue()).toBe('');

      const ours = await savedNames();
      const csrf = await page.locator('input[name="csrf"]').first().inputValue();
      const post = (route: string, form: Record<string, string>) => page.request.post(`${h.url}${route}`, { form, maxRedirects: 0 });
      expect((await post('/dashboard/providers/vonage/delete', { csrf })).status()).toBe(404);
      expect((await post('/dashboard/providers/vonage/test', { csrf, to: '+14155552671' })).status()).toBe(404);
      expect((await post('/dashboard/providers/twilio/move', { csrf, direction: 'up' })).status()).toBe(404);
      expect(await savedNames()).toEqual(ours);
      expect((await request(h.url, basic(other.key, other.secret), 'GET', '/v1/providers')).body.providers).toEqual([]);
    });

    it('deletes a provider: the order closes up', async () => {
      const page = await signedIn();
      await page.goto(`${h.url}/dashboard/providers/twilio`);
      await page.getByRole('button', { name: 'Delete the Twilio settings' }).click();
      await page.getByText('Twilio settings deleted.').waitFor();
      const sms = await rowsOf(page, 'SMS providers in failover order');
      expect(sms.map((r) => `${r[0]}|${r[1]}`)).toEqual(['Primary|Vonage']);
      expect(await savedNames()).toEqual(['vonage:0']);
      await shot(page, 'after-delete');
    });
  });

  describe('with configured providers (HERALD_SANDBOX=0)', () => {
    let h: TestHerald;
    let twilio: TwilioEmulator;
    let fcm: FcmEmulator;
    const TOKEN = `fcm-device_${'b'.repeat(140)}`;
    beforeAll(async () => {
      [twilio, fcm] = await Promise.all([startTwilioEmulator({ host: '127.0.0.1' }), startFcmEmulator({ host: '127.0.0.1', tls: false })]);
      h = await startTestHerald('sqlite', { HERALD_SANDBOX: '0', HERALD_ALLOW_PRIVATE_NETWORKS: '1' });
    });
    afterAll(async () => {
      await h?.stop();
      await Promise.all([twilio?.close(), fcm?.close()]);
    });

    it('configures FCM through its nested form, keeps the stored key when left blank, and tests through it', async () => {
      const account = fcm.createServiceAccount('herald-dash');
      const page = await signedInPage(h);
      await page.goto(`${h.url}/dashboard/providers`);
      await expect(page.getByRole('region', { name: 'In use now: the sandbox emulators' }).count()).resolves.toBe(0);
      await page.getByRole('link', { name: 'Configure FCM' }).click();
      const group = page.getByRole('group', { name: 'Service account (from the Google JSON key file)' });
      await group.getByLabel('Project ID').fill(account.project_id);
      await group.getByLabel('Client email').fill(account.client_email);
      await group.getByLabel('Private key (PEM)').fill(account.private_key);
      await group.getByLabel('Token URI').fill(account.token_uri);
      await page.getByLabel(/^Endpoint/).fill(fcm.url);
      await axe(page, 'FCM form');
      await page.getByRole('button', { name: 'Save FCM settings' }).click();
      await page.getByText('FCM settings saved.').waitFor();
      const push = await rowsOf(page, 'Push providers per platform');
      expect(push[1].slice(0, 5)).toEqual(['Android devices', 'FCM', 'Primary (no fallback)', 'closed (healthy)', '0 %']);
      expect(push[1][5]).toContain('Private key: ***');
      expect(await page.content()).not.toContain(account.private_key.split('\n')[1]);

      // Saved again with the key left blank: the stored key is kept (the emulator takes its signed grant).
      await page.goto(`${h.url}/dashboard/providers/fcm`);
      expect(await page.getByLabel('Private key (PEM)').inputValue()).toBe('');
      await page.getByRole('button', { name: 'Save FCM settings' }).click();
      await page.getByText('FCM settings saved.').waitFor();
      await page.goto(`${h.url}/dashboard/providers/fcm`);
      await page.getByLabel('FCM registration token').fill(TOKEN);
      await page.getByRole('button', { name: 'Send test through FCM' }).click();
      const ok = page.getByRole('status').filter({ hasText: 'FCM accepted the test' });
      await ok.waitFor();
      const got = fcm.received.filter((m) => m.token === TOKEN);
      expect(got).toHaveLength(1);
      expect(await ok.textContent()).toContain(`Message id: ${got[0].name}`);
      await axe(page, 'FCM test accepted');
      await shot(page, 'fcm');
    });

    it("shows a provider's open circuit and its failure rate", async () => {
      expect((await h.api('PUT', '/v1/providers/twilio', { account_sid: twilio.accountSid, auth_token: twilio.authToken, from: '+15005550006', endpoint: twilio.url })).status).toBe(200);
      expect((await h.api('PUT', '/v1/users/sam', { phone: '+14155552671' })).status).toBeLessThan(300);
      const page = await signedInPage(h);
      await page.goto(`${h.url}/dashboard/providers`);
      let sms = await rowsOf(page, 'SMS providers in failover order');
      expect(sms.map((r) => r.slice(0, 5))).toEqual([['Primary', 'Twilio', '0', 'closed (healthy)', '0 %']]);

      // Twilio answers 500 to everything: each send is tried 3 times, and the breaker opens after 20 answers.
      twilio.inject({ status: 500, code: 20500, message: 'Internal Server Error', count: 1000 });
      for (let i = 0; i < 10; i++) expect((await h.api('POST', '/v1/notifications', { user_id: 'sam', content: { sms: { text: `wave ${i}` } } })).status).toBe(202);
      await eventually(async () => (await h.api('GET', '/v1/providers')).body.providers.find((p: { name: string }) => p.name === 'twilio').circuit === 'open', 15_000);
      await page.reload();
      sms = await rowsOf(page, 'SMS providers in failover order');
      expect(sms[0][3]).toBe('open (paused)');
      expect(Number(/^(\d+) %$/.exec(sms[0][4])![1])).toBeGreaterThanOrEqual(50);
      await axe(page, 'providers with an open circuit');
      await shot(page, 'open-circuit');
      twilio.clearFaults();
    });
  });
});
