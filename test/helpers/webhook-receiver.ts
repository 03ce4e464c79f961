import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export interface ReceivedEvent {
  id: number;
  type: string;
  at: string;
  notification_id: string;
  delivery_id: string | null;
  channel: string | null;
  provider: string | null;
  status: string | null;
  data: unknown;
}

export interface ReceivedRequest {
  status: number;
  ids: number[];
  signatureOk: boolean;
  webhookId: string | undefined;
}

export interface Receiver {
  url: string;
  /** Every POST, in arrival order, with the status it was answered. */
  requests: ReceivedRequest[];
  /** Events of the POSTs answered 2xx, in arrival order (duplicates included). */
  accepted: ReceivedEvent[];
  /** Every event seen, answered or not. */
  seen: ReceivedEvent[];
  /** The answer to the n-th POST (0-based); 200 unless set. */
  answer: (n: number) => number;
  /** Milliseconds to wait before answering. */
  delayMs: number;
  close(): Promise<void>;
}

/** The receiver's check, written out as the README tells users to: HMAC over "t.body", constant-time compare, recent t. */
export function verifySignature(secret: string, body: string, header: string | undefined, toleranceS = 300): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  if (Math.abs(Date.now() / 1000 - Number(m[1])) > toleranceS) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2], 'hex'));
}

/** A webhook receiver on 127.0.0.1 that verifies every signature and keeps what it got. */
export async function startReceiver(secret: string): Promise<Receiver> {
  const r: Receiver = {
    url: '',
    requests: [],
    accepted: [],
    seen: [],
    answer: () => 200,
    delayMs: 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const signatureOk = verifySignature(secret, body, req.headers['herald-signature'] as string | undefined);
      const events = (JSON.parse(body) as { events: ReceivedEvent[] }).events;
      const status = signatureOk ? r.answer(r.requests.length) : 401;
      r.requests.push({ status, ids: events.map((e) => e.id), signatureOk, webhookId: req.headers['herald-webhook-id'] as string | undefined });
      r.seen.push(...events);
      if (status >= 200 && status < 300) r.accepted.push(...events);
      setTimeout(() => res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 300 ? 'receiver says no' : 'ok'), r.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  r.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/herald`;
  const close = r.close;
  r.close = async () => {
    server.closeAllConnections();
    await close();
  };
  return r;
}

/** The first arrival of each event, in arrival order. */
export function firstArrivals(events: ReceivedEvent[]): ReceivedEvent[] {
  const seen = new Set<number>();
  return events.filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)));
}
