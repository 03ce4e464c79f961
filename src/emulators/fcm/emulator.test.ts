import { createPrivateKey, sign } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFcmEmulator, type FcmEmulator, type FcmServiceAccountJson } from './index.js';

let emu: FcmEmulator;
let sa: FcmServiceAccountJson;
const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

beforeAll(async () => {
  emu = await startFcmEmulator();
  sa = emu.createServiceAccount('proj');
});
afterAll(() => emu.close());

/** An RS256 assertion signed by hand, independent of the adapter. */
function assertion(claims: Record<string, unknown> = {}, account = sa): string {
  const iat = Math.floor(Date.now() / 1000);
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc({ alg: 'RS256', typ: 'JWT', kid: account.private_key_id })}.${enc({ iss: account.client_email, scope: SCOPE, aud: emu.tokenUri, iat, exp: iat + 3600, ...claims })}`;
  return `${input}.${sign('sha256', Buffer.from(input), createPrivateKey(account.private_key)).toString('base64url')}`;
}

async function grant(form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await request(emu.tokenUri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

const jwtBearer = (a: string) => ({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: a });

async function send(token: string | undefined, body: unknown, project = 'proj') {
  const res = await request(`${emu.url}/v1/projects/${project}/messages:send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.statusCode, body: (await res.body.json()) as { name?: string; error?: { status: string; message: string; details: Array<{ errorCode?: string }> } } };
}

const TOKEN = 'cAbCdEfGhIjK:APA91bHUNTxyz0123456789';

describe('FCM emulator', () => {
  describe('token endpoint', () => {
    it('issues a bearer token for a valid assertion', async () => {
      const res = await grant(jwtBearer(assertion()));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ expires_in: 3599, token_type: 'Bearer' });
      expect(String(res.body.access_token)).toMatch(/^ya29\./);
    });

    // Forms are built lazily: the service account exists only once beforeAll has run.
    it.each<[string, () => Record<string, string>, string]>([
      ['wrong grant type', () => ({ grant_type: 'client_credentials' }), 'unsupported_grant_type'],
      ['wrong audience', () => jwtBearer(assertion({ aud: 'https://oauth2.googleapis.com/token' })), 'invalid_grant'],
      ['over an hour', () => jwtBearer(assertion({ exp: Math.floor(Date.now() / 1000) + 7200 })), 'invalid_grant'],
      ['already expired', () => jwtBearer(assertion({ iat: 1, exp: 2 })), 'invalid_grant'],
      ['no scope', () => jwtBearer(assertion({ scope: '' })), 'invalid_scope'],
      ['tampered signature', () => jwtBearer(`${assertion().slice(0, -4)}AAAA`), 'invalid_grant'],
    ])('%s → 400 %s', async (_n, form, error) => {
      const res = await grant(form());
      expect(res).toMatchObject({ status: 400, body: { error } });
    });
  });

  describe('messages:send', () => {
    let access: string;
    beforeAll(async () => {
      access = String((await grant(jwtBearer(assertion()))).body.access_token);
    });

    it('accepts a message and names it', async () => {
      const res = await send(access, { message: { token: TOKEN, notification: { title: 't' }, data: { a: '1' } } });
      expect(res.status).toBe(200);
      expect(res.body.name).toMatch(/^projects\/proj\/messages\/0:\d+%[0-9a-f]+$/);
      expect(emu.received.at(-1)).toMatchObject({ token: TOKEN, projectId: 'proj', clientEmail: sa.client_email });
    });

    it('401 UNAUTHENTICATED without FcmError for a missing or unknown token', async () => {
      for (const t of [undefined, 'ya29.forged']) {
        const res = await send(t, { message: { token: TOKEN } });
        expect(res.status).toBe(401);
        expect(res.body.error).toMatchObject({ status: 'UNAUTHENTICATED', details: [] });
      }
    });

    it('403 for another project', async () => {
      expect((await send(access, { message: { token: TOKEN } }, 'other')).status).toBe(403);
    });

    it.each<[string, unknown]>([
      ['non-string data', { message: { token: TOKEN, data: { n: 1 } } }],
      ['no target', { message: { data: { a: 'b' } } }],
      ['two targets', { message: { token: TOKEN, topic: 'news' } }],
      ['unknown field', { message: { token: TOKEN, colour: 'red' } }],
      ['bad ttl', { message: { token: TOKEN, android: { ttl: '10 minutes' } } }],
      ['bad priority', { message: { token: TOKEN, android: { priority: 'urgent' } } }],
      ['malformed JSON', '{"message":'],
      ['over 4096 bytes', { message: { token: TOKEN, data: { pad: 'x'.repeat(4100) } } }],
      ['malformed token', { message: { token: 'short' } }],
    ])('%s → 400 INVALID_ARGUMENT', async (_n, body) => {
      const res = await send(access, body);
      expect(res.status).toBe(400);
      expect(res.body.error?.details[0]?.errorCode).toBe('INVALID_ARGUMENT');
    });

    it('404 UNREGISTERED for a dead token', async () => {
      emu.unregister('dead:APA91bdeaddeaddeaddead');
      const res = await send(access, { message: { token: 'dead:APA91bdeaddeaddeaddead' } });
      expect(res.status).toBe(404);
      expect(res.body.error?.details[0]?.errorCode).toBe('UNREGISTERED');
    });

    it('validate_only answers without recording', async () => {
      const before = emu.received.length;
      const res = await send(access, { validate_only: true, message: { token: TOKEN } });
      expect(res.body.name).toBe('projects/proj/messages/fake_message_id');
      expect(emu.received.length).toBe(before);
    });
  });
});
