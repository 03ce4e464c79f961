import webpush from 'web-push';
import type { ProviderName } from '../../domain/delivery.js';
import { pushTlsMaterial } from '../shared/push-tls.js';
import { startApnsEmulator, type ApnsEmulator } from '../apns/index.js';
import { startFcmEmulator, type FcmEmulator } from '../fcm/index.js';
import { startWebPushEmulator, type WebPushEmulator } from '../webpush/index.js';
import { startTwilioEmulator, type TwilioEmulator } from '../twilio/emulator.js';
import { startVonageEmulator, type VonageEmulator } from '../vonage/emulator.js';
import { startSendgridEmulator, type SendgridEmulator } from '../sendgrid/emulator.js';
import { startSmtpEmulator, type SmtpEmulator } from '../smtp/emulator.js';

export const SANDBOX_TOPIC = 'dev.herald.sandbox';

export interface SandboxEmulators {
  apns: ApnsEmulator;
  fcm: FcmEmulator;
  webpush: WebPushEmulator;
  twilio: TwilioEmulator;
  vonage: VonageEmulator;
  sendgrid: SendgridEmulator;
  smtp: SmtpEmulator;
  /** The certificate every TLS emulator serves; adapters trust it. */
  ca: string;
  /** Provider configurations (as PUT /v1/providers would store them) that reach these emulators. */
  configs: Record<ProviderName, Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * HERALD_SANDBOX=1: every provider is a local emulator on 127.0.0.1, spoken to over its real
 * protocol (HTTP/2 + TLS for APNs, OAuth + HTTPS for FCM, encrypted Web Push, the SMS and email
 * HTTP APIs and SMTP), with credentials the emulators check.
 */
export async function startSandboxEmulators(opts: { publicUrl: string }): Promise<SandboxEmulators> {
  const tls = await pushTlsMaterial();
  const [apns, fcm, wp, twilio, vonage, sendgrid, smtp] = await Promise.all([
    startApnsEmulator({ host: '127.0.0.1', tls, maxReceived: 1000 }),
    startFcmEmulator({ host: '127.0.0.1', tls, maxReceived: 1000 }),
    startWebPushEmulator({ host: '127.0.0.1', tls, maxReceived: 1000 }),
    startTwilioEmulator({ host: '127.0.0.1', tls: true, maxReceived: 1000 }),
    startVonageEmulator({ host: '127.0.0.1', tls: true, maxReceived: 1000 }),
    startSendgridEmulator({ host: '127.0.0.1', tls: true, maxReceived: 1000 }),
    startSmtpEmulator({ host: '127.0.0.1', maxReceived: 1000 }),
  ]);
  const vapid = webpush.generateVAPIDKeys();
  const apnsKey = apns.createProviderKey({ topics: [SANDBOX_TOPIC] });
  const configs: SandboxEmulators['configs'] = {
    apns: { ...apnsKey, topic: SANDBOX_TOPIC, endpoint: apns.url },
    fcm: { service_account: fcm.createServiceAccount('herald-sandbox'), endpoint: fcm.url },
    webpush: { vapid_public_key: vapid.publicKey, vapid_private_key: vapid.privateKey, subject: 'mailto:sandbox@herald.invalid' },
    twilio: { account_sid: twilio.accountSid, auth_token: twilio.authToken, from: '+15005550006', endpoint: twilio.url },
    vonage: { api_key: vonage.apiKey, api_secret: vonage.apiSecret, from: 'Herald', endpoint: vonage.url },
    // 16 connections, not 64: the emulator shares the process, so more requests in flight only add overhead
    // (all-in-one bench: 2,245 vs 1,905 delivered/s).
    sendgrid: { api_key: sendgrid.apiKey, from: 'Herald Sandbox <sandbox@herald.invalid>', endpoint: sendgrid.url, webhook_public_key: sendgrid.eventPublicKey, connections: 16 },
    smtp: { host: smtp.host, port: smtp.port, secure: false, from: 'Herald Sandbox <sandbox@herald.invalid>' },
  };
  return {
    apns,
    fcm,
    webpush: wp,
    twilio,
    vonage,
    sendgrid,
    smtp,
    ca: tls.cert,
    configs,
    async close() {
      await Promise.allSettled([apns.close(), fcm.close(), wp.close(), twilio.close(), vonage.close(), sendgrid.close(), smtp.close()]);
    },
  };
}
