import http from 'node:http';
import https from 'node:https';
import type { OutboundGuard } from '../ports/outbound-guard.js';

export interface PostOutcome {
  /** The receiver's status; undefined when there was none (refused, timed out, address not allowed). */
  status?: number;
  /** Why it did not succeed; undefined on a 2xx. */
  error?: string;
  durationMs: number;
}

export interface PostOptions {
  timeoutMs: number;
  /** Checks the receiver's address before the request and again as the socket connects. */
  guard: OutboundGuard;
  /** Aborts the request when the process stops. */
  signal?: AbortSignal;
}

/** Enough of an error answer to tell what went wrong in the log, no more. */
const ERROR_BODY_CHARS = 200;

/**
 * One webhook POST over node:http(s) rather than fetch: the socket's `lookup` is the outbound guard's,
 * so the address checked is the address connected to. Redirects are not followed (a 3xx is a failure): a public URL
 * must not be able to bounce Herald to a private one. The timeout covers connecting, sending and the
 * whole answer.
 */
export async function postWebhook(url: URL, body: string, headers: Record<string, string>, opts: PostOptions): Promise<PostOutcome> {
  const started = performance.now();
  const done = (o: Omit<PostOutcome, 'durationMs'>): PostOutcome => ({ ...o, durationMs: Math.round(performance.now() - started) });
  if (opts.signal?.aborted) return done({ error: 'stopped' });
  try {
    // Literal addresses never reach `lookup`; names are checked here and again as the socket connects.
    await opts.guard.check(url.hostname);
  } catch (err) {
    return done({ error: `not sent: ${(err as Error).message}` });
  }
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    const finish = (o: Omit<PostOutcome, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(done(o));
    };
    const req = lib.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Herald-Webhooks/1', ...headers },
      lookup: opts.guard.lookup,
      agent: false,
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    const onAbort = () => req.destroy(new Error('stopped'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => finish({ error: err.message }));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < ERROR_BODY_CHARS) text += chunk;
      });
      res.on('error', (err) => finish({ status, error: err.message }));
      res.on('end', () => {
        if (status >= 200 && status < 300) return finish({ status });
        const snippet = text.slice(0, ERROR_BODY_CHARS).trim();
        const why = status >= 300 && status < 400 ? 'redirects are not followed' : snippet;
        finish({ status, error: `HTTP ${status}${why ? `: ${why}` : ''}` });
      });
    });
    req.end(body);
  });
}
