import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { FaultQueue, sleep, type FaultBase } from '../shared/push-faults.js';
import { PushRecorder } from '../shared/push-recorder.js';
import { pushTlsMaterial } from '../shared/push-tls.js';
import { safeEqual, type MsgServerStats } from '../shared/msg-http-server.js';

/**
 * A local mail server: real SMTP (smtp-server) with AUTH PLAIN/LOGIN against configured users,
 * optional STARTTLS or implicit TLS with a self-signed certificate, every accepted message
 * parsed (mailparser) into what a mailbox would show, and reply codes injectable at MAIL, RCPT
 * or DATA so each SMTP error class can be driven against a real client.
 */
export interface SmtpEmulatorOptions {
  host?: string;
  port?: number;
  /** Implicit TLS from the first byte (what port 465 does). */
  secure?: boolean;
  /** Offer STARTTLS (default false). */
  starttls?: boolean;
  /** username → password; when set, clients must AUTH before MAIL FROM. */
  users?: Record<string, string>;
  /** Delay before answering DATA, as a slow server would. */
  latencyMs?: number;
  /** SIZE limit in bytes (default 25 MiB). */
  maxMessageBytes?: number;
  /** Recipients that do not exist: RCPT answered 550 5.1.1. */
  unknownRecipients?: string[];
  onMessage?: (message: SmtpEmulatedMessage) => void;
  maxReceived?: number;
}

export interface SmtpEmulatedMessage {
  envelope: { from: string; to: string[] };
  messageId?: string;
  from?: string;
  to?: string;
  subject?: string;
  text?: string;
  html?: string;
  /** Lower-case header name → raw value (unfolded), e.g. `list-unsubscribe`. */
  headers: Record<string, string>;
  /** The authenticated user, if any. */
  user?: string;
  /** Whether the session was encrypted (STARTTLS or implicit TLS). */
  secure: boolean;
  /** The queue id answered in the 250 reply. */
  queueId: string;
}

/**
 * The next matching transactions get `code` at `stage`. `target` matches the sender for MAIL
 * and the recipient for RCPT and DATA.
 */
export interface SmtpFault extends FaultBase {
  stage: 'MAIL' | 'RCPT' | 'DATA';
  code: number;
  /** Reply text after the code, conventionally starting with the enhanced status code. */
  message?: string;
}

export interface SmtpEmulator {
  readonly host: string;
  readonly port: number;
  /** smtp://host:port or smtps://host:port. */
  readonly url: string;
  readonly ca?: string;
  readonly received: SmtpEmulatedMessage[];
  readonly stats: MsgServerStats;
  on(event: 'message', listener: (m: SmtpEmulatedMessage) => void): void;
  off(event: 'message', listener: (m: SmtpEmulatedMessage) => void): void;
  inject(fault: SmtpFault): void;
  /** Drops faults not yet consumed. */
  clearFaults(): void;
  close(): Promise<void>;
}

const DEFAULT_TEXT: Record<number, string> = {
  421: '4.7.0 Try again later, closing connection',
  450: '4.2.1 Mailbox temporarily unavailable',
  451: '4.3.0 Local error in processing, try again later',
  452: '4.5.3 Too many recipients',
  550: '5.1.1 Recipient address rejected: User unknown',
  551: '5.1.6 User not local',
  552: '5.2.2 Mailbox full',
  553: '5.1.3 Bad recipient address syntax',
  554: '5.7.1 Message rejected',
};

function smtpError(code: number, message?: string): Error & { responseCode: number } {
  return Object.assign(new Error(message ?? DEFAULT_TEXT[code] ?? 'Error'), { responseCode: code });
}

export async function startSmtpEmulator(opts: SmtpEmulatorOptions = {}): Promise<SmtpEmulator> {
  const tls = opts.secure || opts.starttls ? await pushTlsMaterial() : undefined;
  const users = opts.users;
  const unknown = new Set((opts.unknownRecipients ?? []).map((a) => a.toLowerCase()));
  const recorder = new PushRecorder<SmtpEmulatedMessage>(opts.maxReceived);
  if (opts.onMessage) recorder.on('message', opts.onMessage);
  const faults = new FaultQueue<SmtpFault>();
  const stats: MsgServerStats = { connections: 0, openConnections: 0, maxOpenConnections: 0, requests: 0 };
  let queueSeq = 0;

  const server = new SMTPServer({
    secure: opts.secure ?? false,
    key: tls?.key,
    cert: tls?.cert,
    hideSTARTTLS: !opts.starttls,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !users,
    // Test clients often authenticate over loopback without TLS.
    allowInsecureAuth: true,
    size: opts.maxMessageBytes ?? 25 * 1024 * 1024,
    disableReverseLookup: true,
    logger: false,
    // Pooled clients keep idle connections; on close, end them quickly instead of waiting 30 s.
    closeTimeout: 50,

    onAuth(auth, _session, cb) {
      const expected = auth.username ? users?.[auth.username] : undefined;
      if (expected !== undefined && typeof auth.password === 'string' && safeEqual(expected, auth.password)) {
        return cb(null, { user: auth.username });
      }
      cb(smtpError(535, '5.7.8 Authentication credentials invalid'));
    },

    onMailFrom(address, _session, cb) {
      const fault = faults.take(address.address.toLowerCase(), (f) => f.stage === 'MAIL');
      cb(fault ? smtpError(fault.code, fault.message) : null);
    },

    onRcptTo(address, _session, cb) {
      const rcpt = address.address.toLowerCase();
      const fault = faults.take(rcpt, (f) => f.stage === 'RCPT');
      if (fault) return cb(smtpError(fault.code, fault.message));
      if (unknown.has(rcpt)) return cb(smtpError(550, `5.1.1 <${address.address}>: Recipient address rejected: User unknown`));
      cb();
    },

    onData(stream, session, cb) {
      stats.requests += 1;
      void receive(stream, session).then(
        (queueId) => cb(null, `2.0.0 Ok: queued as ${queueId}`),
        (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
      );
    },
  });

  async function receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const parsed = await simpleParser(stream);
    if (stream.sizeExceeded) throw smtpError(552, '5.3.4 Message size exceeds fixed maximum message size');
    if (opts.latencyMs) await sleep(opts.latencyMs);
    const rcpts = session.envelope.rcptTo.map((r) => r.address);
    const fault = faults.take((rcpts[0] ?? '').toLowerCase(), (f) => f.stage === 'DATA');
    if (fault) throw smtpError(fault.code, fault.message);
    const headers: Record<string, string> = {};
    for (const h of parsed.headerLines) {
      // headerLines keep the raw "Name: value" line; keep the value, unfolded.
      headers[h.key] = h.line.slice(h.line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
    }
    const queueId = `EMU${(++queueSeq).toString(16).toUpperCase().padStart(8, '0')}`;
    recorder.record({
      envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: rcpts },
      messageId: parsed.messageId,
      from: parsed.from?.text,
      to: Array.isArray(parsed.to) ? parsed.to.map((t) => t.text).join(', ') : parsed.to?.text,
      subject: parsed.subject,
      text: parsed.text,
      html: parsed.html || undefined,
      headers,
      user: typeof session.user === 'string' ? session.user : undefined,
      secure: session.secure,
      queueId,
    });
    return queueId;
  }

  server.server.on('connection', (socket) => {
    stats.connections += 1;
    stats.openConnections += 1;
    stats.maxOpenConnections = Math.max(stats.maxOpenConnections, stats.openConnections);
    socket.once('close', () => {
      stats.openConnections -= 1;
    });
  });
  server.on('error', () => {
    // Client resets surface here; the emulator keeps serving.
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    // exclusive: under node:cluster a shared port would hand connections to another process's emulator.
    (server.listen as (o: object, cb: () => void) => void)({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1', exclusive: true }, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const addr = server.server.address() as AddressInfo;

  return {
    host: addr.address,
    port: addr.port,
    url: `${opts.secure ? 'smtps' : 'smtp'}://${addr.address}:${addr.port}`,
    ca: tls?.cert,
    get received() {
      return recorder.received;
    },
    stats,
    on: (e, l) => recorder.on(e, l),
    off: (e, l) => recorder.off(e, l),
    inject: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
