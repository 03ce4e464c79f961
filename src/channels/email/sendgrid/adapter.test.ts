import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { DeliveryError } from '../../../domain/delivery-error.js';
import type { ChannelAdapter, OutboundMessage } from '../../../ports/channel-adapter.js';
import { startSendgridEmulator, type SendgridEmulator } from '../../../emulators/sendgrid/emulator.js';
import { createSendgridAdapter, parseAddress } from './adapter.js';

const UNSUB = '<https://herald.example/u/tok123>, <mailto:unsub@herald.example?subject=tok123>';

function mail(to: string, extra: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    deliveryId: `d-${Math.random().toString(36).slice(2)}`,
    channel: 'email',
    to,
    email: {
      subject: 'Your order shipped',
      text: 'It ships Friday.',
      html: '<p>It ships <b>Friday</b>.</p>',
      headers: { 'List-Unsubscribe': UNSUB, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    },
    priority: 'normal',
    ...extra,
  };
}

async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}

describe('sendgrid adapter against the emulator', () => {
  let emu: SendgridEmulator;
  let adapter: ChannelAdapter;
  const now = 1_800_000_000_000;

  beforeAll(async () => {
    emu = await startSendgridEmulator({ verifiedSenders: ['notify@herald.example'] });
    adapter = createSendgridAdapter({
      api_key: emu.apiKey,
      from: 'Herald <notify@herald.example>',
      endpoint: emu.url,
      connections: 4,
      clock: { now: () => now },
    });
  });
  afterAll(async () => {
    await adapter.close();
    await emu.close();
  });

  it('posts mail/send and returns X-Message-Id', async () => {
    const msg = mail('ada@example.com', { category: 'orders' });
    const res = await adapter.send(msg);
    expect(res.providerMessageId).toMatch(/^[\w-]{22}$/);
    const got = emu.received.find((m) => m.messageId === res.providerMessageId);
    expect(got).toMatchObject({
      from: { email: 'notify@herald.example', name: 'Herald' },
      to: ['ada@example.com'],
      subject: 'Your order shipped',
      text: 'It ships Friday.',
      html: '<p>It ships <b>Friday</b>.</p>',
      headers: { 'List-Unsubscribe': UNSUB, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      categories: ['orders'],
      customArgs: { herald_delivery_id: msg.deliveryId },
    });
    expect(got?.body.content?.map((c) => c.type)).toEqual(['text/plain', 'text/html']);
  });

  it('sends text only when there is no html', async () => {
    const msg = mail('bob@example.com');
    const res = await adapter.send({ ...msg, email: { subject: 's', text: 'plain' } });
    const got = emu.received.find((m) => m.messageId === res.providerMessageId);
    expect(got?.body.content).toEqual([{ type: 'text/plain', value: 'plain' }]);
    expect(got?.body.headers).toBeUndefined();
  });

  it('an address SendGrid calls invalid → invalid_recipient', async () => {
    const err = await failure(adapter.send(mail('not-an-address')));
    expect(err).toMatchObject({ kind: 'invalid_recipient', status: 400, providerCode: 'personalizations.0.to.0.email' });
  });

  it('other validation errors → permanent', async () => {
    const err = await failure(adapter.send({ ...mail('ada@example.com'), email: { subject: '', text: 'x' } }));
    expect(err).toMatchObject({ kind: 'permanent', status: 400, providerCode: 'subject' });
  });

  it('bad API key → permanent 401', async () => {
    const bad = createSendgridAdapter({ api_key: 'SG.nope', from: 'notify@herald.example', endpoint: emu.url });
    try {
      const err = await failure(bad.send(mail('ada@example.com')));
      expect(err).toMatchObject({ kind: 'permanent', status: 401 });
      expect(err.message).toContain('authorization grant is invalid');
    } finally {
      await bad.close();
    }
  });

  it('unverified sender → permanent 403', async () => {
    const other = createSendgridAdapter({ api_key: emu.apiKey, from: 'someone@else.example', endpoint: emu.url });
    try {
      expect(await failure(other.send(mail('ada@example.com')))).toMatchObject({ kind: 'permanent', status: 403, providerCode: 'from' });
    } finally {
      await other.close();
    }
  });

  it('413 → permanent', async () => {
    emu.inject({ status: 413, errors: [{ message: 'Payload Too Large', field: null, help: null }] });
    expect(await failure(adapter.send(mail('ada@example.com')))).toMatchObject({ kind: 'permanent', status: 413 });
  });

  it('429 → rate_limited with retryAfterMs from X-RateLimit-Reset', async () => {
    emu.inject({ status: 429, rateLimitReset: now / 1000 + 42 });
    const err = await failure(adapter.send(mail('ada@example.com')));
    expect(err).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 42_000 });
  });

  it.each([500, 502, 503])('%i → retryable', async (status) => {
    emu.inject({ status });
    expect(await failure(adapter.send(mail('ada@example.com')))).toMatchObject({ kind: 'retryable', status });
  });

  it('a dropped connection → retryable', async () => {
    emu.inject({ reset: true });
    expect((await failure(adapter.send(mail('ada@example.com')))).kind).toBe('retryable');
  });

  it('refuses a message without email content before calling SendGrid', async () => {
    const before = emu.stats.requests;
    expect((await failure(adapter.send({ ...mail('ada@example.com'), email: undefined }))).kind).toBe('permanent');
    expect(emu.stats.requests).toBe(before);
  });
});

describe('the sendgrid emulator validates like the real API', () => {
  it('reports plain-after-html, missing personalizations and bad from at once', async () => {
    const emu = await startSendgridEmulator();
    try {
      const res = await request(`${emu.url}/v3/mail/send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${emu.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          from: { email: 'nope' },
          subject: 's',
          content: [
            { type: 'text/html', value: '<p>x</p>' },
            { type: 'text/plain', value: 'x' },
          ],
        }),
      });
      const body = (await res.body.json()) as { errors: Array<{ field: string }> };
      expect(res.statusCode).toBe(400);
      expect(body.errors.map((e) => e.field).sort()).toEqual(['content', 'from.email', 'personalizations']);
    } finally {
      await emu.close();
    }
  });
});

describe('sendgrid adapter connection reuse', () => {
  it('200 concurrent sends stay within the pool size', async () => {
    const emu = await startSendgridEmulator({ latencyMs: 5 });
    const adapter = createSendgridAdapter({ api_key: emu.apiKey, from: 'n@herald.example', endpoint: emu.url, connections: 8 });
    try {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => adapter.send(mail(`u${i}@example.com`))));
      expect(new Set(results.map((r) => r.providerMessageId)).size).toBe(200);
      expect(emu.stats.connections).toBeGreaterThan(0);
      expect(emu.stats.connections).toBeLessThanOrEqual(8);
    } finally {
      await adapter.close();
      await emu.close();
    }
  });
});

describe('parseAddress', () => {
  it('reads "Name <email>", quoted names and bare addresses', () => {
    expect(parseAddress('Herald <n@h.example>')).toEqual({ email: 'n@h.example', name: 'Herald' });
    expect(parseAddress('"Herald, Inc." <n@h.example>')).toEqual({ email: 'n@h.example', name: 'Herald, Inc.' });
    expect(parseAddress('<n@h.example>')).toEqual({ email: 'n@h.example' });
    expect(parseAddress(' n@h.example ')).toEqual({ email: 'n@h.example' });
  });
});
