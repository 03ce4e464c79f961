import { request } from 'undici';

/**
 * How the messaging emulators call back (Twilio status callbacks, Vonage DLRs, SendGrid events):
 * one plain request, no retries, so a test sees exactly what the receiver answered.
 */
export interface WebhookResult {
  status: number;
  body: string;
}

export async function callWebhook(
  url: string,
  init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
): Promise<WebhookResult> {
  const res = await request(url, {
    method: init.method ?? 'POST',
    headers: init.headers,
    body: init.body,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  return { status: res.statusCode, body: await res.body.text() };
}

/**
 * Callbacks scheduled for later, without letting their failures escape into the emulator's
 * request path; `cancelAll` on close so nothing fires into a test that has finished.
 */
export class LaterQueue {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly onError: (err: unknown) => void) {}

  schedule(delayMs: number, run: () => Promise<unknown>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run().catch(this.onError);
    }, delayMs);
    // A pending callback must not keep the sandbox process alive on shutdown.
    timer.unref();
    this.timers.add(timer);
  }

  cancelAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
