import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import path from 'node:path';
import { eventually, startTestHerald, type TestHerald } from './helpers/herald.js';
import { startTwilioEmulator, type TwilioEmulator } from '../src/emulators/twilio/emulator.js';
import { startVonageEmulator, type VonageEmulator } from '../src/emulators/vonage/emulator.js';
import { startSendgridEmulator, type SendgridEmulator } from '../src/emulators/sendgrid/emulator.js';
import { startFcmEmulator, type FcmEmulator } from '../src/emulators/fcm/index.js';

/**
 * Real providers, configured through PUT /v1/providers (HERALD_SANDBOX=0), against the emulators
 * over real sockets: credentials stored encrypted, failover by priority, carrier opt-out, and
 * signed delivery receipts through /hooks/*.
 */
describe('configured providers and receipts', () => {
  let h: TestHerald;
  let twilio: TwilioEmulator;
  let vonage: VonageEmulator;
  let sendgrid: SendgridEmulator;
  let fcm: FcmEmulator;
  const VONAGE_SIG = 'vonage-signature-secret-for-tests';
  const TERMINAL = ['sent', 'delivered', 'failed', 'suppressed', 'cancelled', 'expired'];

  beforeAll(async () => {
    [twilio, vonage, sendgrid, fcm] = await Promise.all([
      startTwilioEmulator({ host: '127.0.0.1', optedOutNumbers: ['+14155550111'] }),
      // Receipts posted the moment the SMS is accepted: they may arrive before the worker has recorded `sent`.
      startVonageEmulator({ host: '127.0.0.1', dlr: { delayMs: 0, signing: { secret: VONAGE_SIG, method: 'sha256' } } }),
      startSendgridEmulator({ host: '127.0.0.1' }),
      startFcmEmulator({ host: '127.0.0.1', tls: false }),
    ]);
    // The emulators listen on loopback, which tenants' endpoints may reach only with the operator's flag (SPEC §11).
    h = await startTestHerald('sqlite', { HERALD_SANDBOX: '0', HERALD_ALLOW_PRIVATE_NETWORKS: '1' });
    await h.api('PUT', '/v1/users/sam', { phone: '+14155552671', email: 'sam@example.com' });
  });
  afterAll(async () => {
    await h?.stop();
    await Promise.all([twilio?.close(), vonage?.close(), sendgrid?.close(), fcm?.close()]);
  });

  const settle = (id: string) =>
    eventually(async () => {
      const r = await h.api('GET', `/v1/notifications/${id}`);
      return r.body.deliveries.every((d: any) => TERMINAL.includes(d.status)) ? r.body : undefined;
    });

  it('validates provider bodies, stores credentials encrypted and never returns secrets', async () => {
    expect((await h.api('PUT', '/v1/providers/pigeon', {})).status).toBe(404);
    const bad = await h.api('PUT', '/v1/providers/twilio', { account_sid: 'nope', auth_token: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_provider_config', field: 'account_sid' });
    expect((await h.api('PUT', '/v1/providers/twilio', { account_sid: twilio.accountSid, auth_token: twilio.authToken, endpoint: twilio.url })).body.error.code).toBe(
      'invalid_provider_config',
    ); // neither from nor messaging_service_sid
    const put = await h.api('PUT', '/v1/providers/twilio', { account_sid: twilio.accountSid, auth_token: twilio.authToken, from: '+15005550006', endpoint: twilio.url, priority: 1 });
    expect(put.status).toBe(200);
    expect(put.body.config.auth_token).toBe('***');
    await h.api('PUT', '/v1/providers/vonage', {
      api_key: vonage.apiKey,
      api_secret: vonage.apiSecret,
      from: 'Herald',
      endpoint: vonage.url,
      signature_secret: VONAGE_SIG,
      signature_method: 'sha256',
      priority: 2,
    });
    await h.api('PUT', '/v1/providers/sendgrid', { api_key: sendgrid.apiKey, from: 'shop@example.com', endpoint: sendgrid.url, webhook_public_key: sendgrid.eventPublicKey });
    const list = await h.api('GET', '/v1/providers');
    expect(list.body.providers.map((p: any) => p.name)).toEqual(['sendgrid', 'twilio', 'vonage']);
    expect(JSON.stringify(list.body)).not.toContain(twilio.authToken);
    expect(JSON.stringify(list.body)).not.toContain(vonage.apiSecret);
    const db = new Database(path.join(h.dataDir, 'herald.db'), { readonly: true });
    const stored = JSON.stringify(db.prepare('select * from providers').all());
    db.close();
    for (const secret of [twilio.authToken, vonage.apiSecret, sendgrid.apiKey, VONAGE_SIG]) expect(stored).not.toContain(secret);
  });

  it('sends SMS through Twilio and applies its signed status callback', async () => {
    const r = await h.api('POST', '/v1/notifications', { user_id: 'sam', content: { sms: { text: 'Your code is 1234' } } });
    expect(r.body.deliveries[0].provider).toBe('twilio');
    const d = (await settle(r.body.id)).deliveries[0];
    expect(d).toMatchObject({ status: 'sent', provider: 'twilio' });
    const msg = twilio.received.find((m) => m.sid === d.provider_message_id)!;
    expect(msg).toMatchObject({ to: '+14155552671', body: 'Your code is 1234', statusCallback: `${h.url}/hooks/twilio` });

    // forged and unsigned callbacks change nothing
    const forged = await fetch(`${h.url}/hooks/twilio`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
      body: new URLSearchParams({ MessageSid: d.provider_message_id, MessageStatus: 'failed' }).toString(),
    });
    expect(forged.status).toBe(403);
    const unsigned = await fetch(`${h.url}/hooks/twilio`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ MessageSid: d.provider_message_id, MessageStatus: 'failed' }).toString(),
    });
    expect(unsigned.status).toBe(401);
    expect((await h.api('GET', `/v1/notifications/${r.body.id}`)).body.deliveries[0].status).toBe('sent');

    const results = await twilio.sendStatusCallback(d.provider_message_id, 'delivered');
    expect(JSON.stringify(results)).toContain('200');
    const after = (await h.api('GET', `/v1/notifications/${r.body.id}`)).body.deliveries[0];
    expect(after.status).toBe('delivered');
    expect(after.events.map((e: any) => e.type)).toEqual(['created', 'queued', 'sent', 'delivered']);
  });

  it('fails over to Vonage when Twilio fails transiently, and takes Vonage signed receipts', async () => {
    twilio.inject({ status: 503, code: 20500, message: 'Service Unavailable', count: 1 });
    const r = await h.api('POST', '/v1/notifications', { user_id: 'sam', content: { sms: { text: 'failover' } } });
    // The emulator posts a signed delivery receipt on its own, as a Vonage account with signed webhooks does.
    const d = await eventually(async () => {
      const x = (await h.api('GET', `/v1/notifications/${r.body.id}`)).body.deliveries[0];
      return x.status === 'delivered' ? x : undefined;
    });
    expect(d).toMatchObject({ provider: 'vonage', attempts: 2 });
    expect(d.events.map((e: any) => e.type)).toEqual(['created', 'queued', 'retrying', 'sent', 'delivered']);
    expect(d.events.find((e: any) => e.type === 'retrying').data).toMatchObject({ provider: 'twilio', next_provider: 'vonage', status: 503 });
    const sent = vonage.received.find((m) => m.clientRef === d.id)!;
    expect(sent.text).toBe('failover');
    // the same receipt without a valid signature is refused
    const forged = await fetch(`${h.url}/hooks/vonage?messageId=${sent.messageIds[0]}&status=failed&client-ref=${d.id}&sig=00&timestamp=${Math.floor(Date.now() / 1000)}`);
    expect(forged.status).toBe(403);
  });

  it("opens Twilio's circuit after repeated failures and sends straight to Vonage", async () => {
    twilio.inject({ status: 500, code: 20500, message: 'Internal Server Error', count: 25 });
    const first = await Promise.all(
      Array.from({ length: 25 }, () => h.api('POST', '/v1/notifications', { user_id: 'sam', content: { sms: { text: 'wave 1' } } })),
    );
    for (const r of first) expect((await settle(r.body.id)).deliveries[0].provider).toBe('vonage');
    const health = (await h.api('GET', '/v1/providers')).body.providers.find((p: any) => p.name === 'twilio');
    expect(health.circuit).toBe('open');
    expect(health.failure_rate).toBeGreaterThanOrEqual(0.5);
    const after = await h.api('POST', '/v1/notifications', { user_id: 'sam', content: { sms: { text: 'wave 2' } } });
    const d = (await settle(after.body.id)).deliveries[0];
    // No attempt on Twilio at all: the open circuit sent it to the next provider first.
    expect(d).toMatchObject({ provider: 'vonage', attempts: 1 });
    expect(d.events.map((e: any) => e.type)).not.toContain('retrying');
    twilio.clearFaults();
    // A configuration change closes the circuit: new credentials or endpoint deserve a fresh start.
    await h.api('PUT', '/v1/providers/twilio', { account_sid: twilio.accountSid, auth_token: twilio.authToken, from: '+15005550006', endpoint: twilio.url, priority: 1 });
    expect((await h.api('GET', '/v1/providers')).body.providers.find((p: any) => p.name === 'twilio').circuit).toBe('closed');
  });

  it('turns a carrier opt-out (Twilio 21610) into a failed delivery and an SMS opt-out', async () => {
    await h.api('PUT', '/v1/users/stop', { phone: '+14155550111' });
    const r = await h.api('POST', '/v1/notifications', { user_id: 'stop', content: { sms: { text: 'promo' } } });
    const d = (await settle(r.body.id)).deliveries[0];
    expect(d).toMatchObject({ status: 'failed', reason: 'invalid_recipient', attempts: 1 });
    expect((await h.api('GET', '/v1/users/stop/preferences')).body.channels.sms).toBe(false);
    const again = await h.api('POST', '/v1/notifications', { user_id: 'stop', content: { sms: { text: 'promo' } } });
    expect(again.body.deliveries[0]).toMatchObject({ status: 'suppressed', reason: 'opted_out' });
  });

  it('sends email through SendGrid and applies signed event webhooks', async () => {
    const r = await h.api('POST', '/v1/notifications', { user_id: 'sam', content: { email: { subject: 'Receipt', html: '<p>Thanks</p>' } } });
    const d = (await settle(r.body.id)).deliveries[0];
    expect(d).toMatchObject({ status: 'sent', provider: 'sendgrid' });
    const mail = sendgrid.received.find((m) => m.messageId === d.provider_message_id)!;
    expect(mail.customArgs.herald_delivery_id).toBe(d.id);
    expect(mail.text).toMatch(/^Thanks\n/); // then the unsubscribe footer
    const forgedBody = JSON.stringify([{ event: 'bounce', herald_delivery_id: d.id, email: 'sam@example.com', timestamp: 1 }]);
    const forged = await fetch(`${h.url}/hooks/sendgrid`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...sendgrid.signedHeaders('[]') },
      body: forgedBody,
    });
    expect(forged.status).toBe(403);
    const res = await sendgrid.postEvents(`${h.url}/hooks/sendgrid`, sendgrid.eventsFor(mail.messageId, ['processed', 'delivered', 'open']));
    expect(res.status).toBe(200);
    const after = (await h.api('GET', `/v1/notifications/${r.body.id}`)).body.deliveries[0];
    expect(after.status).toBe('delivered');
    expect(after.events.map((e: any) => e.type)).toEqual(['created', 'queued', 'sent', 'delivered', 'opened']);
  });

  it('sends FCM push with one OAuth token for many sends', async () => {
    await h.api('PUT', '/v1/providers/fcm', { service_account: fcm.createServiceAccount('herald-test'), endpoint: fcm.url });
    const token = `fcm-device_${'a'.repeat(140)}`;
    await h.api('POST', '/v1/users/sam/devices', { platform: 'android', token });
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => h.api('POST', '/v1/notifications', { user_id: 'sam', channels: ['push'], content: { push: { title: `t${i}`, data: { i } } } })));
    for (const r of rs) expect((await settle(r.body.id)).deliveries[0]).toMatchObject({ status: 'sent', provider: 'fcm' });
    expect(fcm.stats.tokenRequests).toBe(1);
    expect(fcm.received.filter((m) => m.token === token)).toHaveLength(20);
  });

  it("never lets one channel's slow provider hold up another channel", async () => {
    const slow = await startTwilioEmulator({ host: '127.0.0.1', latencyMs: 1500 });
    try {
      await h.api('PUT', '/v1/providers/twilio', { account_sid: slow.accountSid, auth_token: slow.authToken, from: '+15005550006', endpoint: slow.url, priority: 1 });
      const started = Date.now();
      const r = await h.api('POST', '/v1/notifications/batch', {
        notifications: Array.from({ length: 20 }, (_, i) => ({ user_id: 'sam', channels: ['sms', 'email'], content: { sms: { text: `s${i}` }, email: { subject: `e${i}`, text: 'x' } } })),
      });
      const ids = r.body.results.map((x: any) => x.id);
      // Every email is sent while the SMS provider is still answering its first requests.
      await eventually(async () => {
        const ns = await Promise.all(ids.map((id: string) => h.api('GET', `/v1/notifications/${id}`)));
        return ns.every((n) => n.body.deliveries.find((d: any) => d.channel === 'email').status !== 'queued');
      });
      expect(Date.now() - started).toBeLessThan(1500);
      const sms = await settle(ids[0]);
      expect(sms.deliveries.find((d: any) => d.channel === 'sms').status).toBe('sent');
    } finally {
      await h.api('PUT', '/v1/providers/twilio', { account_sid: twilio.accountSid, auth_token: twilio.authToken, from: '+15005550006', endpoint: twilio.url, priority: 1 });
      await slow.close();
    }
  });

  it('removes a provider', async () => {
    expect((await h.api('DELETE', '/v1/providers/vonage')).status).toBe(204);
    expect((await h.api('DELETE', '/v1/providers/vonage')).status).toBe(404);
    expect((await h.api('GET', '/v1/providers')).body.providers.map((p: any) => p.name)).not.toContain('vonage');
  });
});
