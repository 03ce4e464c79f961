import type { LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import nodemailer from 'nodemailer';
import type { ChannelAdapter, OutboundMessage, SendResult } from '../../../ports/channel-adapter.js';
import { DeliveryError } from '../../../domain/delivery-error.js';
import { smtpError } from './errors.js';
import { smtpGetSocket } from '../../outbound-sockets.js';

export interface SmtpConfig {
  host: string;
  port: number;
  /** Implicit TLS (port 465). Otherwise STARTTLS is used when the server offers it. */
  secure?: boolean;
  user?: string;
  pass?: string;
  /** "sender@example.com" or "Name <sender@example.com>". */
  from: string;
  /** Never upgrade with STARTTLS, even when offered. */
  ignoreTLS?: boolean;
  /** Refuse to send unless STARTTLS succeeds. */
  requireTLS?: boolean;
  /** `ca` adds trust anchors to the public roots (e.g. the sandbox emulator's certificate). */
  tls?: { ca?: string | Buffer | Array<string | Buffer>; rejectUnauthorized?: boolean; servername?: string };
  /** Pooled connections (default 5, nodemailer's). */
  maxConnections?: number;
  /** Messages per connection before it is replaced (default 1000). */
  maxMessages?: number;
  /** Connect, greeting and socket inactivity timeout (default 30 s). */
  timeoutMs?: number;
  /** The outbound guard's lookup (ports/outbound-guard.ts): the host is the tenant's; absent for the sandbox emulator. */
  lookup?: LookupFunction;
}

export function createSmtpAdapter(config: SmtpConfig): ChannelAdapter {
  const timeout = config.timeoutMs ?? 30_000;
  const transport = nodemailer.createTransport(
    {
      pool: true,
      host: config.host,
      port: config.port,
      secure: config.secure ?? false,
      ignoreTLS: config.ignoreTLS,
      requireTLS: config.requireTLS,
      // A `ca` given to TLS replaces the default trust store; keep the public roots beside it.
      tls: config.tls?.ca ? { ...config.tls, ca: [...rootCertificates, ...[config.tls.ca].flat()] } : config.tls,
      auth: config.user ? { user: config.user, pass: config.pass ?? '' } : undefined,
      maxConnections: config.maxConnections ?? 5,
      // Most servers allow far more than nodemailer's default 100 per session; a reconnect
      // (TCP, EHLO, STARTTLS, AUTH) every 100 messages is a visible cost at volume.
      maxMessages: config.maxMessages ?? 1000,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      // nodemailer resolves and connects by itself otherwise, past any lookup we could hand it.
      ...(config.lookup ? { getSocket: smtpGetSocket(config.lookup, timeout) } : {}),
    },
    { from: config.from },
  );
  // The Message-ID's domain: the sender's own, as RFC 5322 suggests.
  const domain = /@([^>\s]+)>?\s*$/.exec(config.from)?.[1] ?? 'herald.local';

  async function send(msg: OutboundMessage): Promise<SendResult> {
    const email = msg.email;
    if (!email) throw new DeliveryError('permanent', 'smtp: message has no email content');
    // The delivery id in the Message-ID lets a bounce (which quotes it) find its delivery, and
    // makes a retried send recognisable as the same message downstream.
    const messageId = `<${msg.deliveryId}@${domain}>`;
    try {
      const info = await transport.sendMail({
        to: msg.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        headers: email.headers,
        messageId,
      });
      return { providerMessageId: info.messageId || messageId };
    } catch (err) {
      throw smtpError(err);
    }
  }

  return {
    name: 'smtp',
    channel: 'email',
    send,
    close: async () => {
      transport.close();
    },
  };
}
