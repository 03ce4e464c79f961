import { describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { startSmtpEmulator } from './emulator.js';

describe('smtp emulator', () => {
  it('requires AUTH when users are configured, and accepts PLAIN and LOGIN', async () => {
    const emu = await startSmtpEmulator({ users: { ada: 'pw' } });
    const send = (auth?: { user: string; pass: string; method?: string }) => {
      const t = nodemailer.createTransport({ host: emu.host, port: emu.port, ignoreTLS: true, auth, authMethod: auth?.method });
      return t.sendMail({ from: 'a@herald.example', to: 'b@example.com', subject: 's', text: 't' }).finally(() => t.close());
    };
    try {
      await expect(send()).rejects.toMatchObject({ responseCode: 530 });
      await expect(send({ user: 'ada', pass: 'bad' })).rejects.toMatchObject({ responseCode: 535 });
      await expect(send({ user: 'ada', pass: 'pw', method: 'PLAIN' })).resolves.toHaveProperty('response', expect.stringMatching(/^250 .*queued as EMU/));
      await expect(send({ user: 'ada', pass: 'pw', method: 'LOGIN' })).resolves.toHaveProperty('messageId');
      expect(emu.received.map((m) => m.user)).toEqual(['ada', 'ada']);
    } finally {
      await emu.close();
    }
  });

  it('parses what a mailbox shows and keeps raw headers', async () => {
    const emu = await startSmtpEmulator();
    const t = nodemailer.createTransport({ host: emu.host, port: emu.port });
    try {
      await t.sendMail({
        from: 'Herald <n@herald.example>',
        to: 'b@example.com',
        subject: 'Grüße',
        text: 'plain',
        html: '<p>html</p>',
        headers: { 'List-Unsubscribe': '<https://h.example/u/t>', 'X-Herald-Delivery': 'd1' },
      });
      expect(emu.received[0]).toMatchObject({
        envelope: { from: 'n@herald.example', to: ['b@example.com'] },
        subject: 'Grüße',
        text: 'plain',
        html: '<p>html</p>',
        secure: false,
        headers: { 'list-unsubscribe': '<https://h.example/u/t>', 'x-herald-delivery': 'd1' },
      });
    } finally {
      t.close();
      await emu.close();
    }
  });

  it('answers injected codes at the chosen stage, with the enhanced code in the text', async () => {
    const emu = await startSmtpEmulator();
    const t = nodemailer.createTransport({ host: emu.host, port: emu.port });
    const send = () => t.sendMail({ from: 'a@herald.example', to: 'b@example.com', subject: 's', text: 't' });
    try {
      emu.inject({ stage: 'RCPT', code: 550 });
      await expect(send()).rejects.toMatchObject({ responseCode: 550, response: expect.stringContaining('550 5.1.1') });
      emu.inject({ stage: 'DATA', code: 554, message: '5.7.1 Spam' });
      await expect(send()).rejects.toMatchObject({ responseCode: 554, response: '554 5.7.1 Spam' });
      emu.inject({ stage: 'DATA', code: 451 });
      await expect(send()).rejects.toMatchObject({ responseCode: 451, response: expect.stringContaining('4.3.0') });
      await expect(send()).resolves.toHaveProperty('messageId');
      expect(emu.received).toHaveLength(1);
    } finally {
      t.close();
      await emu.close();
    }
  });
});
