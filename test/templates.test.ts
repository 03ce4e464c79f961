import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestHerald, type TestHerald } from './helpers/herald.js';

describe('templates: versions, locales, preview', () => {
  let h: TestHerald;
  beforeAll(async () => {
    h = await startTestHerald('sqlite');
    await h.api('PUT', '/v1/users/de', { locale: 'de-AT', phone: '+14155552671', email: 'de@example.com', name: 'Dora' });
    await h.api('PUT', '/v1/users/pt', { locale: 'pt-BR', phone: '+14155552672' });
    await h.api('PUT', '/v1/users/xx', { locale: 'sv', phone: '+14155552673' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('makes a new version on every change and records the version a notification used', async () => {
    expect((await h.api('PUT', '/v1/templates/otp', { category: 'transactional', channels: { sms: { text: 'Code {{ params.code }}' } } })).body.version).toBe(1);
    const v2 = await h.api('PUT', '/v1/templates/otp', { category: 'transactional', channels: { sms: { text: 'Your code: {{ params.code }}' } } });
    expect(v2.status).toBe(200);
    expect(v2.body.version).toBe(2);
    const got = await h.api('GET', '/v1/templates/otp');
    expect(got.body.versions.map((v: any) => v.version)).toEqual([2, 1]);
    const r = await h.api('POST', '/v1/notifications', { user_id: 'xx', template: 'otp', params: { code: '123' } });
    const n = (await h.api('GET', `/v1/notifications/${r.body.id}`)).body;
    expect(n).toMatchObject({ template: 'otp', template_version: 2, category: 'transactional' });
  });

  it('chooses the locale exactly, then by language, then the default', async () => {
    await h.api('PUT', '/v1/templates/hello', {
      channels: { sms: { text: 'Hello' } },
      locales: { de: { sms: { text: 'Hallo' } }, 'pt-BR': { sms: { text: 'Olá' } }, pt: { sms: { text: 'Olá (pt)' } } },
    });
    const text = async (user: string) => (await h.api('POST', '/v1/templates/hello/preview', { user_id: user })).body.channels.sms.text;
    expect(await text('de')).toBe('Hallo'); // de-AT → de
    expect(await text('pt')).toBe('Olá'); // exact pt-BR before pt
    expect(await text('xx')).toBe('Hello'); // sv → default
    expect((await h.api('POST', '/v1/templates/hello/preview', { locale: 'pt-PT' })).body.channels.sms.text).toBe('Olá (pt)');
  });

  it('shows SMS segments and encoding in the preview', async () => {
    await h.api('PUT', '/v1/templates/long', { channels: { sms: { text: '{{ params.t }}' } } });
    const seg = async (t: string) => (await h.api('POST', '/v1/templates/long/preview', { params: { t } })).body.channels.sms;
    expect(await seg('a'.repeat(160))).toMatchObject({ encoding: 'GSM-7', segments: 1, characters: 160 });
    expect(await seg('a'.repeat(161))).toMatchObject({ encoding: 'GSM-7', segments: 2 });
    expect(await seg('é'.repeat(70) + 'ñ')).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(await seg('привет'.repeat(12))).toMatchObject({ encoding: 'UCS-2', segments: 2, characters: 72 });
    expect(await seg('ok 😀')).toMatchObject({ encoding: 'UCS-2', segments: 1 });
  });

  it('refuses a missing variable in preview and at send time, naming it', async () => {
    const p = await h.api('POST', '/v1/templates/otp/preview', { params: {} });
    expect(p.status).toBe(400);
    expect(p.body.error).toMatchObject({ code: 'missing_variable', field: 'params.code' });
  });

  it('derives the text part of an email from its html', async () => {
    await h.api('PUT', '/v1/templates/mail', { channels: { email: { subject: 'Hi {{ user.name }}', html: '<h1>Hi {{ user.name }}</h1><p>See <a href="https://example.com/x">this</a>.</p>' } } });
    const p = await h.api('POST', '/v1/templates/mail/preview', { user_id: 'de' });
    expect(p.body.channels.email.subject).toBe('Hi Dora');
    expect(p.body.channels.email.text).toContain('Hi Dora');
    expect(p.body.channels.email.text).toContain('this (https://example.com/x)');
  });

  it('refuses a push payload over the provider limit at send time, not later', async () => {
    await h.api('PUT', '/v1/users/de', { locale: 'de-AT' });
    await h.api('POST', '/v1/users/de/devices', { platform: 'ios', token: 'ab'.repeat(32) });
    const big = { title: 'x', body: 'y'.repeat(3000), data: { blob: 'z'.repeat(1500) } };
    const r = await h.api('POST', '/v1/notifications', { user_id: 'de', channels: ['push'], content: { push: big } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('payload_too_large');
    expect(r.body.error.message).toMatch(/APNs payload is \d+ bytes/);
    const ok = await h.api('POST', '/v1/notifications', { user_id: 'de', channels: ['push'], content: { push: { title: 'x', body: 'fits' } } });
    expect(ok.status).toBe(202);
    await eventually(async () => (await h.api('GET', `/v1/notifications/${ok.body.id}`)).body.deliveries[0].status === 'sent');
  });
});
