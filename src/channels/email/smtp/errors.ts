import { DeliveryError, vendorText } from '../../../domain/delivery-error.js';
import { refusedEndpointError } from '../../../domain/outbound-refused.js';

/** The fields nodemailer puts on the errors it rejects with. */
export interface SmtpClientError {
  message?: string;
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

// Enhanced status code (RFC 3463): class.subject.detail, e.g. 5.1.1.
const ENHANCED = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;
// Credentials or configuration that no retry will fix.
const CONFIG_CODES = new Set(['EAUTH', 'ENOAUTH', 'ECONFIG', 'EOAUTH2']);

/**
 * SMTP replies: 4yz is transient; 5yz is permanent, but only 5.1.x (address) and 5.2.x
 * (mailbox) are the recipient's fault — 5.7.x is policy against the sender, so suppressing the
 * address would punish the wrong party. 552 "too many recipients" is temporary by RFC 5321.
 */
export function smtpError(err: unknown): DeliveryError {
  const refused = refusedEndpointError('smtp', err);
  if (refused) return refused;
  const e = (err ?? {}) as SmtpClientError;
  const code = e.responseCode;
  // The server's reply line is SMTP's error field; it is kept to one bounded line like any vendor's message.
  const text = (e.response ?? e.message ?? String(err)).trim();
  const message = `smtp: ${vendorText(text) ?? 'no reply'}`;
  const opts = { status: code, cause: err };

  if (code === undefined || code < 400) {
    // No reply at all: connection refused, DNS, TLS, timeouts — another try or provider may work.
    if (e.code && CONFIG_CODES.has(e.code)) return new DeliveryError('permanent', message, { ...opts, providerCode: e.code });
    return new DeliveryError('retryable', message, { ...opts, providerCode: e.code });
  }
  const enhanced = ENHANCED.exec(text);
  const providerCode = enhanced ? enhanced[0] : String(code);
  if (code < 500) return new DeliveryError('retryable', message, { ...opts, providerCode });
  if (code === 552 && /too many recipients/i.test(text)) return new DeliveryError('retryable', message, { ...opts, providerCode });
  // 503 "bad sequence of commands" is about the session's state, not the message; a fresh
  // connection sends the same message fine.
  if (code === 503) return new DeliveryError('retryable', message, { ...opts, providerCode });
  if (enhanced) {
    const subject = Number(enhanced[2]);
    const detail = Number(enhanced[3]);
    // 5.1.7 and 5.1.8 are about the sender's address, not the recipient's.
    const recipient = (subject === 1 && detail !== 7 && detail !== 8) || subject === 2;
    return new DeliveryError(recipient ? 'invalid_recipient' : 'permanent', message, { ...opts, providerCode });
  }
  // A bare 550/551/553 to RCPT TO is the server saying it has no such mailbox.
  const atRcpt = e.command === 'RCPT TO' || e.code === 'EENVELOPE';
  if (atRcpt && (code === 550 || code === 551 || code === 553)) {
    return new DeliveryError('invalid_recipient', message, { ...opts, providerCode });
  }
  return new DeliveryError('permanent', message, { ...opts, providerCode });
}
