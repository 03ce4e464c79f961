import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../domain/delivery-error.js';
import type { ChannelAdapter, OutboundMessage } from '../../../ports/channel-adapter.js';
import { startSmtpEmulator, type SmtpEmulator } from '../../../emulators/smtp/emulator.js';
import { createOutboundGuard } from '../../../outbound/guard.js';
import { createSmtpAdapter } from './adapter.js';
import { smtpError } from './errors.js';

const UNSUB = '<https://herald.example/u/tok123>';

function mail(to: string, extra: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    deliveryId: `0190c0de-${Math.random().toString(16).slice(2, 10)}`,
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

describe('smtp adapter against the emulator (STARTTLS + AUTH)', () => {
  let emu: SmtpEmulator;
  let adapter: ChannelAdapter;

  beforeAll(async () => {
    emu = await startSmtpEmulator({ starttls: true, users: { herald: 's3cret' }, unknownRecipients: ['nobody@example.com'] });
    adapter = createSmtpAdapter({
      host: emu.host,
      port: emu.port,
      user: 'herald',
      pass: 's3cret',
      from: 'Herald <notify@herald.example>',
      requireTLS: true,
      tls: { ca: emu.ca, servername: 'localhost' },
      maxConnections: 3,
    });
  });
  afterAll(async () => {
    await adapter.close();
    await emu.close();
  });

  it('delivers over an encrypted, authenticated session with Message-ID from the delivery id', async () => {
    const msg = mail('ada@example.com');
    const res = await adapter.send(msg);
    expect(res.providerMessageId).toBe(`<${msg.deliveryId}@herald.example>`);
    const got = emu.received.find((m) => m.messageId === res.providerMessageId);
    expect(got).toMatchObject({
      envelope: { from: 'notify@herald.example', to: ['ada@example.com'] },
      from: '"Herald" <notify@herald.example>',
      to: 'ada@example.com',
      subject: 'Your order shipped',
      text: 'It ships Friday.',
      html: '<p>It ships <b>Friday</b>.</p>',
      user: 'herald',
      secure: true,
    });
    expect(got?.headers['list-unsubscribe']).toBe(UNSUB);
    expect(got?.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
  });

  it('451 4.3.0 at DATA → retryable', async () => {
    emu.inject({ stage: 'DATA', code: 451 });
    expect(await failure(adapter.send(mail('ada@example.com')))).toMatchObject({ kind: 'retryable', status: 451, providerCode: '4.3.0' });
  });

  it('450 at RCPT and 421 at MAIL → retryable', async () => {
    emu.inject({ stage: 'RCPT', code: 450 });
    expect(await failure(adapter.send(mail('ada@example.com')))).toMatchObject({ kind: 'retryable', status: 450 });
    // 421 closes the session; nodemailer's pool requeues the message on a new connection a few
    // times by itself, so only a server that keeps answering 421 surfaces as an error.
    emu.inject({ stage: 'MAIL', code: 421, count: 20 });
    const err = await failure(adapter.send(mail('ada@example.com')));
    emu.clearFaults();
    expect(err).toMatchObject({ kind: 'retryable', status: 421 });
    await expect(adapter.send(mail('ada@example.com'))).resolves.toHaveProperty('providerMessageId');
  });

  it('550 5.1.1 unknown mailbox → invalid_recipient', async () => {
    expect(await failure(adapter.send(mail('nobody@example.com')))).toMatchObject({ kind: 'invalid_recipient', status: 550, providerCode: '5.1.1' });
  });

  it('552 5.2.2 mailbox full → invalid_recipient; 552 too many recipients → retryable', async () => {
    emu.inject({ stage: 'RCPT', code: 552 });
    expect(await failure(adapter.send(mail('ada@example.com')))).toMatchObject({ kind: 'invalid_recipient', providerCode: '5.2.2' });
    emu.inject({ stage: 'RCPT', code: 552, message: '5.5.3 Too many recipients' });
    expect(await failure(adapter.send(mail('ada@example.com')))).toMatchObject({ kind: 'retryable', status: 552 });
  });

  it('554 5.7.1 policy rejection at DATA → permanent, not the recipient’s fault', async () => {
    emu.inject({ stage: 'DATA', code: 554, message: '5.7.1 Message rejected as spam' });
    expect(await failure(adapter.send(mail('ada@example.com')))).toMatchObject({ kind: 'permanent', status: 554, providerCode: '5.7.1' });
  });

  it('only the targeted recipient gets the fault; others still go through', async () => {
    emu.inject({ stage: 'RCPT', code: 550, target: 'bob@example.com' });
    await expect(adapter.send(mail('ada@example.com'))).resolves.toHaveProperty('providerMessageId');
    expect((await failure(adapter.send(mail('bob@example.com')))).kind).toBe('invalid_recipient');
  });

  it('wrong password → permanent (535 5.7.8)', async () => {
    const bad = createSmtpAdapter({ host: emu.host, port: emu.port, user: 'herald', pass: 'nope', from: 'n@herald.example', tls: { ca: emu.ca, servername: 'localhost' } });
    try {
      expect(await failure(bad.send(mail('ada@example.com')))).toMatchObject({ kind: 'permanent', status: 535 });
    } finally {
      await bad.close();
    }
  });

  it('an untrusted certificate → retryable (another provider may work)', async () => {
    const untrusted = createSmtpAdapter({ host: emu.host, port: emu.port, user: 'herald', pass: 's3cret', from: 'n@herald.example', requireTLS: true, timeoutMs: 2000 });
    try {
      expect((await failure(untrusted.send(mail('ada@example.com')))).kind).toBe('retryable');
    } finally {
      await untrusted.close();
    }
  });
});

describe('smtp adapter connection handling', () => {
  it('a refused connection → retryable', async () => {
    const emu = await startSmtpEmulator();
    const port = emu.port;
    await emu.close();
    const adapter = createSmtpAdapter({ host: '127.0.0.1', port, from: 'n@herald.example', timeoutMs: 2000 });
    try {
      expect((await failure(adapter.send(mail('ada@example.com')))).kind).toBe('retryable');
    } finally {
      await adapter.close();
    }
  });

  it('200 concurrent sends use at most maxConnections connections', async () => {
    const emu = await startSmtpEmulator();
    const adapter = createSmtpAdapter({ host: emu.host, port: emu.port, from: 'n@herald.example', maxConnections: 4 });
    try {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => adapter.send(mail(`u${i}@example.com`))));
      expect(new Set(results.map((r) => r.providerMessageId)).size).toBe(200);
      expect(emu.received.length).toBe(200);
      expect(emu.stats.connections).toBeGreaterThan(0);
      expect(emu.stats.connections).toBeLessThanOrEqual(4);
    } finally {
      await adapter.close();
      await emu.close();
    }
  });

  it('implicit TLS (secure) works with the emulator certificate', async () => {
    const emu = await startSmtpEmulator({ secure: true });
    const adapter = createSmtpAdapter({ host: emu.host, port: emu.port, secure: true, from: 'n@herald.example', tls: { ca: emu.ca, servername: 'localhost' } });
    try {
      await adapter.send(mail('ada@example.com'));
      expect(emu.received[0]?.secure).toBe(true);
    } finally {
      await adapter.close();
      await emu.close();
    }
  });
});

describe('smtp adapter through the outbound guard (a tenant host, SPEC §11)', () => {
  it('opens its pooled connections at the address the guard answers (STARTTLS and AUTH on top), and none when refused', async () => {
    const emu = await startSmtpEmulator({ starttls: true, users: { herald: 's3cret' } });
    const config = { host: 'localhost', port: emu.port, user: 'herald', pass: 's3cret', from: 'n@herald.example', requireTLS: true, tls: { ca: emu.ca } };
    const allowed = createSmtpAdapter({ ...config, lookup: createOutboundGuard({ allowPrivate: true }).lookup });
    const refused = createSmtpAdapter({ ...config, lookup: createOutboundGuard({ allowPrivate: false }).lookup });
    try {
      await allowed.send(mail('ada@example.com'));
      expect(emu.received).toHaveLength(1);
      expect(emu.received[0]?.secure).toBe(true);
      const err = await failure(refused.send(mail('bob@example.com')));
      expect(err).toMatchObject({ kind: 'permanent', providerCode: 'invalid_endpoint', message: 'smtp: endpoint refused: localhost resolves to a loopback address' });
      expect(emu.received).toHaveLength(1);
    } finally {
      await allowed.close();
      await refused.close();
      await emu.close();
    }
  });

  it('does implicit TLS (secure) on the connection it was handed', async () => {
    const emu = await startSmtpEmulator({ secure: true });
    const adapter = createSmtpAdapter({ host: 'localhost', port: emu.port, secure: true, from: 'n@herald.example', tls: { ca: emu.ca }, lookup: createOutboundGuard({ allowPrivate: true }).lookup });
    try {
      await adapter.send(mail('ada@example.com'));
      expect(emu.received[0]?.secure).toBe(true);
    } finally {
      await adapter.close();
      await emu.close();
    }
  });

  it('keeps a server reply to one bounded line', () => {
    const e = smtpError({ responseCode: 554, response: `554 5.7.1 ${'<html>internal</html>\r\n'.repeat(50)}` });
    expect(e.message.length).toBeLessThanOrEqual(210);
    expect(e.message).not.toMatch(/[\r\n]/);
  });
});

describe('smtpError', () => {
  it.each([
    [{ responseCode: 421, response: '421 4.7.0 Try later' }, 'retryable'],
    [{ responseCode: 452, response: '452 4.5.3 Too many recipients' }, 'retryable'],
    [{ responseCode: 550, response: '550 5.1.1 User unknown', command: 'RCPT TO' }, 'invalid_recipient'],
    [{ responseCode: 550, response: '550 5.1.8 Bad sender domain', command: 'MAIL FROM' }, 'permanent'],
    [{ responseCode: 553, response: '553 sorry, no mailbox here', command: 'RCPT TO' }, 'invalid_recipient'],
    [{ responseCode: 550, response: '550 rejected by policy', command: 'DATA' }, 'permanent'],
    [{ responseCode: 554, response: '554 5.7.1 Spam' }, 'permanent'],
    [{ responseCode: 503, response: '503 5.5.1 Bad sequence' }, 'retryable'],
    [{ code: 'ETIMEDOUT', message: 'Greeting never received' }, 'retryable'],
    [{ code: 'ECONNECTION', message: 'Connection closed' }, 'retryable'],
    [{ code: 'EAUTH', message: 'Invalid login' }, 'permanent'],
  ])('%o → %s', (err, kind) => {
    expect(smtpError(err).kind).toBe(kind);
  });
});
