import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startSendgridEmulator, type SendgridEmulator } from './emulator.js';

describe('sendgrid emulator', () => {
  let emu: SendgridEmulator;
  const send = async (body: unknown, key = emu.apiKey) => {
    const res = await request(`${emu.url}/v3/mail/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body: text ? (JSON.parse(text) as { errors: Array<Record<string, unknown>> }) : undefined };
  };
  const valid = {
    personalizations: [{ to: [{ email: 'ada@example.com' }], custom_args: { herald_delivery_id: 'd1' } }],
    from: { email: 'n@herald.example' },
    subject: 'Hi',
    content: [{ type: 'text/plain', value: 'Hello' }],
  };

  beforeAll(async () => {
    emu = await startSendgridEmulator({ maxBodyBytes: 64 * 1024 });
  });
  afterAll(() => emu.close());

  it('answers 202 with X-Message-Id and an empty body', async () => {
    const res = await send(valid);
    expect(res.status).toBe(202);
    expect(res.body).toBeUndefined();
    expect(res.headers['x-message-id']).toMatch(/^[\w-]{22}$/);
    expect(emu.received.at(-1)).toMatchObject({ to: ['ada@example.com'], customArgs: { herald_delivery_id: 'd1' } });
  });

  it('refuses a wrong key with the real 401 body', async () => {
    expect(await send(valid, 'SG.wrong')).toMatchObject({
      status: 401,
      body: { errors: [{ message: 'The provided authorization grant is invalid, expired, or revoked', field: null, help: null }] },
    });
  });

  it.each([
    [{ ...valid, personalizations: [] }, 'personalizations'],
    [{ ...valid, personalizations: [{ to: [{ email: 'bad' }] }] }, 'personalizations.0.to.0.email'],
    [{ ...valid, personalizations: [{}] }, 'personalizations.0.to'],
    [{ ...valid, from: undefined }, 'from.email'],
    [{ ...valid, subject: '' }, 'subject'],
    [{ ...valid, content: [] }, 'content'],
    [{ ...valid, content: [{ type: 'text/plain', value: '' }] }, 'content.0.value'],
    [{ ...valid, headers: { From: 'x@y.z' } }, 'headers'],
  ])('400 with the offending field: %#', async (body, field) => {
    const res = await send(body);
    expect(res.status).toBe(400);
    expect(res.body?.errors.map((e) => e.field)).toContain(field);
    expect(res.body?.errors[0]).toHaveProperty('help');
  });

  it('a template_id stands in for subject and content', async () => {
    expect((await send({ ...valid, subject: undefined, content: undefined, template_id: 'd-123' })).status).toBe(202);
  });

  it('413 above the body limit, 400 for malformed JSON', async () => {
    expect((await send({ ...valid, content: [{ type: 'text/plain', value: 'x'.repeat(70 * 1024) }] })).status).toBe(413);
    expect((await send('{not json')).status).toBe(400);
  });

  it('429 carries X-RateLimit-Reset', async () => {
    emu.inject({ status: 429, rateLimitReset: 1_900_000_000 });
    const res = await send(valid);
    expect(res.status).toBe(429);
    expect(res.headers['x-ratelimit-reset']).toBe('1900000000');
    expect(res.headers['x-ratelimit-remaining']).toBe('0');
    expect(res.body?.errors[0].message).toBe('too many requests');
  });
});
