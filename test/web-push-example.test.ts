import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { eventually, startTestHerald, type TestHerald } from './helpers/herald.js';
import { ARTIFACTS, chromiumAvailable, launchChromium } from './helpers/browser.js';

/**
 * examples/web-push in Debian's Chromium: the page subscribes through /v1/me/devices with a user
 * token, Herald encrypts a push to that subscription and the local push service decrypts it, and
 * the service worker shows it. The limit of this machine: Chromium's own push service (FCM) is not
 * reachable, so the subscription comes from Herald's sandbox push service, and the decrypted push
 * is handed to the service worker through DevTools (ServiceWorker.deliverPushMessage), which is
 * what the browser's push service would do.
 */
describe.skipIf(!chromiumAvailable())('examples/web-push in Chromium', () => {
  let h: TestHerald;
  let browser: Browser;
  beforeAll(async () => {
    h = await startTestHerald('sqlite');
    await h.api('PUT', '/v1/users/web', { name: 'Web' });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('subscribes, receives an encrypted push and shows it', async () => {
    const token = (await h.api('POST', '/v1/users/web/tokens', {})).body.token;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${h.url}/examples/web-push/index.html?token=${encodeURIComponent(token)}`);
    await page.getByRole('button', { name: 'Enable notifications' }).click();
    await page.locator('#status[data-state="subscribed"]').waitFor({ timeout: 20_000 });

    const devices = (await h.api('GET', '/v1/users/web/devices')).body.devices;
    expect(devices).toHaveLength(1);
    const endpoint = devices[0].subscription.endpoint as string;
    expect(endpoint.startsWith(h.herald.emulators!.webpush.url)).toBe(true);

    const r = await h.api('POST', '/v1/notifications', { user_id: 'web', content: { push: { title: 'Hello', body: 'From Herald', url: 'https://example.com/' } } });
    expect(r.body.deliveries[0]).toMatchObject({ platform: 'web', provider: 'webpush' });
    const got = await eventually(async () => h.herald.emulators!.webpush.received.find((m) => m.endpoint === endpoint));
    expect(got.json).toMatchObject({ title: 'Hello', body: 'From Herald' });

    const cdp = await context.newCDPSession(page);
    const registrations: { registrationId: string; scopeURL: string }[] = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: { registrationId: string; scopeURL: string }[] }) => registrations.push(...e.registrations));
    await cdp.send('ServiceWorker.enable');
    const reg = await eventually(async () => registrations.find((x) => x.scopeURL.includes('/examples/web-push/')));
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: new URL(h.url).origin, registrationId: reg.registrationId, data: got.payload! });
    await page.getByRole('list', { name: 'Received notifications' }).getByText('Hello — From Herald').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-push-example.png') });
    await context.close();
  });
});
