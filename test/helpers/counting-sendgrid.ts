import { startSendgridEmulator, type SendgridEmulator } from '../../src/emulators/sendgrid/emulator.js';
import { DELIVERY_ID_ARG } from '../../src/channels/email/sendgrid/custom-args.js';

/**
 * A SendGrid emulator in the test's process for the duplicates tests: 20 ms away, one request in forty
 * 1.5 s (the slow request a batch engine would wait for), counting provider calls per delivery and
 * keeping, for each request, the client port it came from and when it was answered.
 */
export interface CountingSendgrid {
  sendgrid: SendgridEmulator;
  /** Provider calls per delivery id. */
  calls: Map<string, number>;
  /** Client port of every request read, in order. */
  received: number[];
  answers: { at: number; port: number }[];
}

export async function startCountingSendgrid(): Promise<CountingSendgrid> {
  const calls = new Map<string, number>();
  const received: number[] = [];
  const answers: { at: number; port: number }[] = [];
  let n = 0;
  const sendgrid = await startSendgridEmulator({
    tls: false,
    latencyMs: (req) => {
      received.push(req.socket.remotePort ?? 0);
      return ++n % 40 === 0 ? 1500 : 20;
    },
    onAnswered: (req) => answers.push({ at: Date.now(), port: req.socket.remotePort ?? 0 }),
    onMessage: (m) => {
      const id = m.customArgs[DELIVERY_ID_ARG];
      calls.set(id, (calls.get(id) ?? 0) + 1);
    },
  });
  return { sendgrid, calls, received, answers };
}

/** Deliveries among `ids` the provider got more than once, and how many extra calls in all. */
export function duplicatesAmong(ids: string[], calls: Map<string, number>): { extra: number; twice: string[]; never: number } {
  const twice = ids.filter((id) => (calls.get(id) ?? 0) > 1);
  return { extra: ids.reduce((k, id) => k + Math.max(0, (calls.get(id) ?? 0) - 1), 0), twice, never: ids.filter((id) => !calls.get(id)).length };
}
