import { createECDH, createPrivateKey, sign } from 'node:crypto';
import { request } from 'undici';
import webpush from 'web-push';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptAes128gcm } from './aes128gcm.js';
import { startWebPushEmulator, type WebPushEmulator } from './index.js';

let emu: WebPushEmulator;
let agent: Agent;
const vapidKeys = webpush.generateVAPIDKeys();

beforeAll(async () => {
  emu = await startWebPushEmulator();
  agent = new Agent({ connect: { ca: emu.ca } });
});
afterAll(async () => {
  await agent.close();
  await emu.close();
});

function vapid(aud = emu.url, subject = 'mailto:ops@herald.test', keys = vapidKeys, exp?: number): string {
  return webpush.getVapidHeaders(aud, subject, keys.publicKey, keys.privateKey, 'aes128gcm', exp).Authorization;
}

/** A VAPID header signed by hand, for claims web-push refuses to sign. */
function handSigned(claims: Record<string, unknown>, keys = vapidKeys): string {
  const pub = Buffer.from(keys.publicKey, 'base64url');
  const key = createPrivateKey({
    key: { kty: 'EC', crv: 'P-256', d: keys.privateKey, x: pub.subarray(1, 33).toString('base64url'), y: pub.subarray(33).toString('base64url') },
    format: 'jwk',
  });
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc({ typ: 'JWT', alg: 'ES256' })}.${enc(claims)}`;
  const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return `vapid t=${input}.${sig}, k=${keys.publicKey}`;
}

async function push(endpoint: string, headers: Record<string, string>, body?: Buffer) {
  const res = await request(endpoint, { method: 'POST', headers, body, dispatcher: agent });
  return { status: res.statusCode, text: await res.body.text(), location: res.headers.location };
}

/** Encrypted with web-push's (http_ece) implementation, to cross-check the emulator's decryption. */
function encrypted(sub: { keys: { p256dh: string; auth: string } }, text: string): Buffer {
  return webpush.encrypt(sub.keys.p256dh, sub.keys.auth, text, 'aes128gcm').cipherText;
}

describe('Web Push emulator', () => {
  it('decrypts the RFC 8291 Appendix A example', () => {
    // The published test vector (its keys are public by design).
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from('q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94', 'base64url'));
    const body = Buffer.from(
      'DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN',
      'base64url',
    );
    const plaintext = decryptAes128gcm(body, { ecdh, auth: Buffer.from('BTBZMqHH6r4Tts7J_aSIgg', 'base64url') });
    expect(plaintext.toString()).toBe('When I grow up, I want to be a watermelon');
  });

  it('accepts a well-formed push: 201, Location, decrypted payload', async () => {
    const sub = emu.createSubscription();
    const res = await push(sub.endpoint, { ttl: '60', urgency: 'high', topic: 'order42', 'content-encoding': 'aes128gcm', authorization: vapid() }, encrypted(sub, '{"title":"hi"}'));
    expect(res.status).toBe(201);
    expect(res.location).toMatch(new RegExp(`^${emu.url}/message/`));
    expect(emu.received.at(-1)).toMatchObject({ endpoint: sub.endpoint, ttl: 60, urgency: 'high', topic: 'order42', payload: '{"title":"hi"}', json: { title: 'hi' } });
  });

  it('accepts a push without payload', async () => {
    const sub = emu.createSubscription();
    expect((await push(sub.endpoint, { ttl: '0', authorization: vapid() })).status).toBe(201);
    expect(emu.received.at(-1)?.payload).toBeUndefined();
  });

  const bad: Array<[string, (sub: { endpoint: string; keys: { p256dh: string; auth: string } }) => Record<string, string>, number]> = [
    ['no TTL', () => ({ authorization: vapid() }), 400],
    ['bad urgency', () => ({ ttl: '1', urgency: 'asap', authorization: vapid() }), 400],
    ['long topic', () => ({ ttl: '1', topic: 't'.repeat(33), authorization: vapid() }), 400],
    ['no VAPID', () => ({ ttl: '1' }), 401],
    ['VAPID for another origin', () => ({ ttl: '1', authorization: vapid('https://push.example.net') }), 403],
    ['VAPID with an http subject', () => ({ ttl: '1', authorization: handSigned({ aud: emu.url, exp: Math.floor(Date.now() / 1000) + 60, sub: 'http://herald.test' }) }), 403],
    ['VAPID without a subject', () => ({ ttl: '1', authorization: handSigned({ aud: emu.url, exp: Math.floor(Date.now() / 1000) + 60 }) }), 403],
    ['VAPID exp over 24 h ahead', () => ({ ttl: '1', authorization: handSigned({ aud: emu.url, exp: Math.floor(Date.now() / 1000) + 2 * 86400, sub: 'mailto:a@b.c' }) }), 403],
    ['VAPID signed by another key', () => ({ ttl: '1', authorization: vapid().replace(/k=.*/, `k=${webpush.generateVAPIDKeys().publicKey}`) }), 403],
    ['expired VAPID', () => ({ ttl: '1', authorization: vapid(emu.url, undefined, undefined, Math.floor(Date.now() / 1000) - 10) }), 403],
  ];
  it.each(bad)('%s → refused', async (_n, headers, status) => {
    const sub = emu.createSubscription();
    expect((await push(sub.endpoint, headers(sub))).status).toBe(status);
  });

  it('accepts a hand-signed VAPID token (the verifier is not web-push specific)', async () => {
    const sub = emu.createSubscription();
    const authorization = handSigned({ aud: emu.url, exp: Math.floor(Date.now() / 1000) + 3600, sub: 'https://herald.test/contact' });
    expect((await push(sub.endpoint, { ttl: '1', authorization })).status).toBe(201);
  });

  it('refuses a body it cannot decrypt, a wrong encoding and an oversized body', async () => {
    const sub = emu.createSubscription();
    const other = emu.createSubscription();
    const headers = { ttl: '1', 'content-encoding': 'aes128gcm', authorization: vapid() };
    expect((await push(sub.endpoint, headers, encrypted(other, 'not for you'))).status).toBe(400);
    expect((await push(sub.endpoint, { ...headers, 'content-encoding': 'aesgcm' }, encrypted(sub, 'x'))).status).toBe(400);
    expect((await push(sub.endpoint, headers, Buffer.alloc(5000))).status).toBe(413);
  });

  it('answers 410 for expired and unknown subscriptions', async () => {
    const sub = emu.createSubscription();
    emu.expireSubscription(sub.endpoint);
    expect((await push(sub.endpoint, { ttl: '1', authorization: vapid() })).status).toBe(410);
    expect((await push(`${emu.url}/push/nope`, { ttl: '1', authorization: vapid() })).status).toBe(410);
  });

  it('applies injected failures to the targeted subscription only', async () => {
    const a = emu.createSubscription();
    const b = emu.createSubscription();
    emu.inject({ target: a.endpoint, status: 429, retryAfterSec: 9 });
    const headers = { ttl: '1', authorization: vapid() };
    expect((await push(b.endpoint, headers)).status).toBe(201);
    expect((await push(a.endpoint, headers)).status).toBe(429);
    expect((await push(a.endpoint, headers)).status).toBe(201);
  });
});
