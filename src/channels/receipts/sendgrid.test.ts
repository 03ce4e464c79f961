import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startSendgridEmulator } from '../../emulators/sendgrid/emulator.js';
import { createSendgridAdapter } from '../email/sendgrid/adapter.js';
import { startHookServer } from './hook-server.test-helper.js';
import {
  parseSendgridEvents,
  SENDGRID_SIGNATURE_HEADER,
  SENDGRID_TIMESTAMP_HEADER,
  verifySendgridSignature,
} from './sendgrid.js';

// The vector from SendGrid's own SDK tests (a public key only): made elsewhere, so it catches a
// self-consistent mistake such as signing the body without the timestamp.
const SDK_KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==';
const SDK_SIGNATURE = 'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=';
const SDK_TIMESTAMP = '1588788367';
const SDK_PAYLOAD = JSON.stringify({ category: 'example_payload', event: 'test_event', message_id: 'message_id' });

describe('verifySendgridSignature', () => {
  it("verifies SendGrid's SDK vector, from base64 DER or PEM", () => {
    expect(verifySendgridSignature(SDK_KEY, SDK_PAYLOAD, SDK_SIGNATURE, SDK_TIMESTAMP)).toBe(true);
    const pem = `-----BEGIN PUBLIC KEY-----\n${SDK_KEY.match(/.{1,64}/g)?.join('\n')}\n-----END PUBLIC KEY-----\n`;
    expect(verifySendgridSignature(pem, Buffer.from(SDK_PAYLOAD), SDK_SIGNATURE, SDK_TIMESTAMP)).toBe(true);
  });

  it('rejects an altered body, timestamp or signature, another key, and garbage', () => {
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    expect(verifySendgridSignature(SDK_KEY, SDK_PAYLOAD.replace('test_event', 'delivered'), SDK_SIGNATURE, SDK_TIMESTAMP)).toBe(false);
    expect(verifySendgridSignature(SDK_KEY, SDK_PAYLOAD, SDK_SIGNATURE, '1588788368')).toBe(false);
    expect(verifySendgridSignature(SDK_KEY, SDK_PAYLOAD, SDK_SIGNATURE.replace('H2j', 'H3j'), SDK_TIMESTAMP)).toBe(false);
    expect(verifySendgridSignature(otherKey, SDK_PAYLOAD, SDK_SIGNATURE, SDK_TIMESTAMP)).toBe(false);
    expect(verifySendgridSignature('not a key', SDK_PAYLOAD, SDK_SIGNATURE, SDK_TIMESTAMP)).toBe(false);
    expect(verifySendgridSignature(SDK_KEY, SDK_PAYLOAD, 'AAAA', SDK_TIMESTAMP)).toBe(false);
    expect(verifySendgridSignature(SDK_KEY, SDK_PAYLOAD, undefined, SDK_TIMESTAMP)).toBe(false);
  });

  it('can refuse stale timestamps', () => {
    const now = Number(SDK_TIMESTAMP) * 1000;
    expect(verifySendgridSignature(SDK_KEY, SDK_PAYLOAD, SDK_SIGNATURE, SDK_TIMESTAMP, { maxSkewS: 300, now })).toBe(true);
    expect(verifySendgridSignature(SDK_KEY, SDK_PAYLOAD, SDK_SIGNATURE, SDK_TIMESTAMP, { maxSkewS: 300, now: now + 301_000 })).toBe(false);
  });

  it('verifies a key pair made at test time (P1363 signatures are refused: SendGrid sends DER)', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const body = '[{"event":"delivered"}]';
    const der = sign('sha256', Buffer.from(`123${body}`), { key: privateKey, dsaEncoding: 'der' }).toString('base64');
    const p1363 = sign('sha256', Buffer.from(`123${body}`), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64');
    expect(verifySendgridSignature(pem, body, der, '123')).toBe(true);
    expect(verifySendgridSignature(pem, body, p1363, '123')).toBe(false);
  });
});

describe('parseSendgridEvents', () => {
  it('reads the flattened delivery id and maps events', () => {
    const events = parseSendgridEvents([
      { email: 'a@x', timestamp: 1700000000, event: 'processed', sg_event_id: 'e1', sg_message_id: 'm.1', herald_delivery_id: 'd1' },
      { email: 'a@x', timestamp: 1700000001, event: 'delivered', sg_event_id: 'e2', herald_delivery_id: 'd1', response: '250 OK' },
      { email: 'b@x', timestamp: 1700000002, event: 'bounce', sg_event_id: 'e3', herald_delivery_id: 'd2', reason: '550 5.1.1 no such user', type: 'bounce' },
      { email: 'c@x', timestamp: 1700000003, event: 'click', sg_event_id: 'e4', herald_delivery_id: 'd3', url: 'https://x/y' },
      { email: 'c@x', timestamp: 1700000004, event: 'deferred', sg_event_id: 'e5', response: '451 later' },
      { email: 'c@x', timestamp: 1700000005, event: 'spamreport', sg_event_id: 'e6', herald_delivery_id: 'd3' },
      'junk',
      { no: 'event' },
    ]);
    expect(events).toHaveLength(6);
    expect(events[0]).toMatchObject({ deliveryId: 'd1', event: 'processed', sgEventId: 'e1', sgMessageId: 'm.1', heraldEvent: undefined });
    expect(events[1]).toMatchObject({ deliveryId: 'd1', event: 'delivered', timestamp: 1700000001, heraldEvent: 'delivered' });
    expect(events[2]).toMatchObject({ deliveryId: 'd2', heraldEvent: 'bounced', reason: '550 5.1.1 no such user', bounceType: 'bounce' });
    expect(events[3]).toMatchObject({ heraldEvent: 'clicked', url: 'https://x/y' });
    expect(events[4]).toMatchObject({ deliveryId: undefined, reason: '451 later', heraldEvent: undefined });
    expect(events[5]).toMatchObject({ heraldEvent: 'unsubscribed' });
    expect(parseSendgridEvents({ not: 'an array' })).toEqual([]);
  });
});

describe('event webhook from the emulator', () => {
  it('posts signed events that verify with the exported key and carry the delivery id', async () => {
    const hook = await startHookServer();
    const emu = await startSendgridEmulator({ eventWebhook: { url: `${hook.url}/hooks/sendgrid`, delayMs: 1 }, bouncedAddresses: ['gone@example.com'] });
    const adapter = createSendgridAdapter({ api_key: emu.apiKey, from: 'n@herald.example', endpoint: emu.url });
    const send = (to: string, deliveryId: string) =>
      adapter.send({ deliveryId, channel: 'email', to, email: { subject: 's', text: 't' }, priority: 'normal' });
    try {
      const ok = await send('ada@example.com', 'd-ok');
      const got = await hook.next();
      const sig = got.headers[SENDGRID_SIGNATURE_HEADER] as string;
      const ts = got.headers[SENDGRID_TIMESTAMP_HEADER] as string;
      expect(verifySendgridSignature(emu.eventPublicKey, got.body, sig, ts)).toBe(true);
      expect(verifySendgridSignature(emu.eventPublicKeyPem, got.body, sig, ts)).toBe(true);
      const tampered = Buffer.from(got.body.toString().replace('"delivered"', '"bounce"'));
      expect(verifySendgridSignature(emu.eventPublicKey, tampered, sig, ts)).toBe(false);
      const events = parseSendgridEvents(JSON.parse(got.body.toString()));
      expect(events.map((e) => [e.event, e.deliveryId])).toEqual([
        ['processed', 'd-ok'],
        ['delivered', 'd-ok'],
      ]);
      expect(events[1].sgMessageId?.startsWith(ok.providerMessageId as string)).toBe(true);

      await send('gone@example.com', 'd-gone');
      const bounced = parseSendgridEvents(JSON.parse((await hook.next()).body.toString()));
      expect(bounced[1]).toMatchObject({ deliveryId: 'd-gone', heraldEvent: 'bounced', reason: expect.stringContaining('5.1.1') });

      // postEvents lets a test send any events, e.g. opens and clicks.
      const opens = emu.eventsFor(ok.providerMessageId as string, ['open', 'click']);
      expect((await emu.postEvents(`${hook.url}/hooks/sendgrid`, opens)).status).toBe(204);
      const more = await hook.next();
      expect(verifySendgridSignature(emu.eventPublicKey, more.body, more.headers[SENDGRID_SIGNATURE_HEADER] as string, more.headers[SENDGRID_TIMESTAMP_HEADER] as string)).toBe(true);
      expect(parseSendgridEvents(JSON.parse(more.body.toString())).map((e) => e.heraldEvent)).toEqual(['opened', 'clicked']);
    } finally {
      await adapter.close();
      await emu.close();
      await hook.close();
    }
  });
});
