import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'node:net';
import { Agent } from 'undici';
import { HERALD_BIN, freePort, waitForExit } from './child.js';

/**
 * A real `herald serve` child process for the hostile-input suites (test/hostile-input.suite.ts,
 * test/hostile-fuzz.test.ts), started the way a newcomer runs it: its working directory is a fresh
 * temporary directory whose `./data` is the data dir, so a template that could reach the file system
 * would find `data/secret.key` at the path the issue names. Canary files with a random marker are planted
 * in that working directory under the names templates try to include; no response may ever contain it.
 *
 * The child never gets HERALD_ALLOW_PRIVATE_NETWORKS unless asked (fixture set-up only), always runs the
 * built-in sandbox (HERALD_SANDBOX=1: no provider is ever really called) and has a bounded heap, so a
 * Liquid bomb that is not stopped kills only the child, quickly, not the machine.
 */
export class HeraldProcess {
  readonly root: string;
  readonly dataDir: string;
  readonly canary: string;
  port = 0;
  child?: ChildProcess;
  private out = '';
  private extraEnv: Record<string, string> = {};
  /** How often the process was (re)started; a restart means an earlier case killed or hung it. */
  starts = 0;

  constructor(
    readonly opts: { key: string; secret: string; databaseUrl?: string; logLevel?: string },
    root?: string,
  ) {
    this.root = root ?? mkdtempSync(path.join(tmpdir(), 'herald-hostile-'));
    this.dataDir = path.join(this.root, 'data');
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    this.canary = `HERALD-CANARY-${randomBytes(6).toString('hex')}`;
    // Files a template might name: bare names (liquidjs' default root is the working directory, no
    // extension), with `.liquid`, and a few paths a traversal would land on.
    for (const name of ['x', 'self', 'self2', 'rec', 'ok_part', 'ping', 'pong', 'partial', 'layout', 'secret']) {
      writeFileSync(path.join(this.root, name), `${this.canary} file ${name}\n`);
      writeFileSync(path.join(this.root, `${name}.liquid`), `${this.canary} file ${name}.liquid\n`);
    }
    writeFileSync(path.join(this.root, 'canary.txt'), `${this.canary} canary.txt\n`);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  output(): string {
    return this.out;
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    const inherited: Record<string, string> = {};
    // Nothing from the developer's or CI's own Herald configuration leaks into the child.
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('HERALD_') && k !== 'NODE_OPTIONS') inherited[k] = v;
    return {
      ...inherited,
      HERALD_DATA_DIR: this.dataDir,
      HERALD_PORT: String(this.port),
      HERALD_HOST: '127.0.0.1',
      HERALD_BOOTSTRAP_KEY: this.opts.key,
      HERALD_BOOTSTRAP_SECRET: this.opts.secret,
      HERALD_LOG_LEVEL: this.opts.logLevel ?? 'warn',
      HERALD_SANDBOX: '1',
      HERALD_ALLOW_PRIVATE_NETWORKS: '0',
      HERALD_WEBHOOK_ALLOW_PRIVATE: '0',
      HERALD_RETRY_BASE_MS: '50',
      HERALD_RETRY_MAX_ATTEMPTS: '2',
      // A runaway allocation ends in this child's OOM within a second or two, not in swapping the machine.
      NODE_OPTIONS: '--max-old-space-size=1024',
      ...(this.opts.databaseUrl ? { HERALD_DATABASE_URL: this.opts.databaseUrl } : {}),
      ...this.extraEnv,
      ...extra,
    };
  }

  /** `herald <args>` once, to completion (e.g. `apps create other --json`), in the same environment. */
  async cli(args: string[]): Promise<string> {
    const child = spawn(process.execPath, [HERALD_BIN, ...args], { cwd: this.root, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    await waitForExit(child);
    if (child.exitCode !== 0) throw new Error(`herald ${args.join(' ')} exited ${child.exitCode}: ${stderr}`);
    return stdout;
  }

  async start(extraEnv: Record<string, string> = {}): Promise<void> {
    this.extraEnv = extraEnv;
    if (!this.port) this.port = await freePort();
    this.out = '';
    const child = spawn(process.execPath, [HERALD_BIN, 'serve'], { cwd: this.root, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (this.out = (this.out + d).slice(-20_000)));
    child.stderr!.on('data', (d) => (this.out = (this.out + d).slice(-20_000)));
    this.child = child;
    this.starts++;
    resetAgents();
    const end = Date.now() + 30_000;
    for (;;) {
      if (!this.alive) throw new Error(`herald serve exited during start-up (${child.exitCode ?? child.signalCode}):\n${this.out}`);
      const r = await probe(this.url, 500);
      if (r.ok) return;
      if (Date.now() > end) throw new Error(`herald serve did not answer /healthz within 30 s:\n${this.out}`);
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await waitForExit(child);
    clearTimeout(t);
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    child.kill('SIGKILL');
    await waitForExit(child);
  }

  /** Brings a dead or stuck process back on the same data (a hostile case that got through killed it). */
  async restart(): Promise<void> {
    await this.kill();
    await this.start(this.extraEnv);
  }

  /** File contents no response may contain: the master key, the first app's credentials, the canary. */
  secrets(): string[] {
    const out = [this.canary, 'root:x:0:0'];
    for (const f of ['secret.key', 'credentials.json']) {
      const p = path.join(this.dataDir, f);
      if (!existsSync(p)) continue;
      const text = readFileSync(p, 'utf8').trim();
      if (f === 'secret.key' && text.length >= 16) out.push(text, Buffer.from(text, 'base64').toString('hex'));
      if (f === 'credentials.json') {
        try {
          const c = JSON.parse(text) as { secret?: string };
          if (c.secret && c.secret.length >= 8) out.push(c.secret);
        } catch {
          if (text.length >= 16) out.push(text);
        }
      }
    }
    return out;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// One keep-alive agent per client source address. Every 127.0.0.0/8 address is loopback on Linux, so
// cases that fail authentication can come from their own address and stay under the per-address
// failed-auth limit while the rest of the suite runs from 127.0.0.1.
const agents = new Map<string, Agent>();
function agentFor(from = '127.0.0.1'): Agent {
  let a = agents.get(from);
  if (!a) {
    a = new Agent({ localAddress: from, keepAliveTimeout: 2_000, connections: 16 });
    agents.set(from, a);
  }
  return a;
}
export function resetAgents(): void {
  for (const a of agents.values()) void a.destroy().catch(() => undefined);
  agents.clear();
}

export interface RawRequest {
  method: string;
  /** Sent byte for byte as the request target: no normalisation of `..` or re-encoding. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Client source address (127.0.0.x). */
  from?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
  ms: number;
}

export async function http(base: string, r: RawRequest): Promise<RawResponse> {
  if (r.body !== undefined && r.body.length > 1_000_000) return rawHttp(base, r);
  const started = performance.now();
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no answer within ${r.timeoutMs ?? 10_000} ms`)), r.timeoutMs ?? 10_000);
  const onAbort = () => ac.abort(r.signal?.reason);
  r.signal?.addEventListener('abort', onAbort);
  try {
    // Dispatcher.request takes origin and path as given (undici's top-level request() would run the
    // path through new URL() first, resolving `..` and re-encoding).
    const res = await agentFor(r.from).request({ origin: base, method: r.method as 'GET', path: r.path, headers: r.headers, body: r.body, signal: ac.signal });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, headers: res.headers, text, json, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
    r.signal?.removeEventListener('abort', onAbort);
  }
}

/** GET /healthz with a deadline: ok with its latency, or not ok. */
export async function probe(base: string, timeoutMs = 1000): Promise<{ ok: boolean; ms: number; error?: string }> {
  const started = performance.now();
  try {
    const r = await http(base, { method: 'GET', path: '/healthz', timeoutMs });
    return { ok: r.status === 200, ms: performance.now() - started, ...(r.status === 200 ? {} : { error: `status ${r.status}` }) };
  } catch (err) {
    return { ok: false, ms: performance.now() - started, error: (err as Error).message };
  }
}

export const basicAuth = (key: string, secret: string) => `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;

/** JSON through the API with the given Authorization header; throws on a non-2xx answer unless `ok` is false. */
export async function api(base: string, auth: string, method: string, p: string, body?: unknown, opts: { ok?: boolean } = {}): Promise<RawResponse> {
  const r = await http(base, {
    method,
    path: p,
    headers: { authorization: auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    timeoutMs: 20_000,
  });
  if (opts.ok !== false && (r.status < 200 || r.status > 299)) throw new Error(`${method} ${p} → ${r.status} ${r.text.slice(0, 500)}`);
  return r;
}

/**
 * A large body over a plain socket: a server that refuses it by its Content-Length (413) answers and
 * closes while the client is still writing, which undici reports as EPIPE with the answer lost. Here
 * write errors are ignored and whatever the server said is read back.
 */
function rawHttp(base: string, r: RawRequest): Promise<RawResponse> {
  const u = new URL(base);
  const started = performance.now();
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : (r.body as Buffer);
  return new Promise((resolve, reject) => {
    const sock = connect({ host: u.hostname, port: Number(u.port), localAddress: r.from });
    const chunks: Buffer[] = [];
    const fail = (err: Error) => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`no answer within ${r.timeoutMs ?? 10_000} ms`)), r.timeoutMs ?? 10_000);
    r.signal?.addEventListener('abort', () => fail(new Error(String(r.signal?.reason ?? 'aborted'))));
    let answered = false;
    sock.on('data', (d) => {
      answered = true;
      chunks.push(d);
    });
    sock.on('error', () => undefined); // EPIPE / ECONNRESET once the server has answered and hung up
    sock.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks);
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`connection closed without a complete answer (${raw.length} bytes)`));
      const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      let rest = raw.subarray(end + 4);
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
        const parts: Buffer[] = [];
        for (;;) {
          const nl = rest.indexOf('\r\n');
          const size = parseInt(rest.subarray(0, nl).toString('latin1'), 16);
          if (!size || nl < 0) break;
          parts.push(rest.subarray(nl + 2, nl + 2 + size));
          rest = rest.subarray(nl + 2 + size + 2);
        }
        rest = Buffer.concat(parts);
      } else if (headers['content-length']) rest = rest.subarray(0, Number(headers['content-length']));
      const text = rest.toString('utf8');
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, text, json, ms: performance.now() - started });
    });
    sock.on('connect', async () => {
      const head = [`${r.method} ${r.path} HTTP/1.1`, `host: ${u.host}`, 'connection: close', `content-length: ${body.length}`, ...Object.entries(r.headers ?? {}).map(([k, v]) => `${k}: ${v}`)];
      sock.write(head.join('\r\n') + '\r\n\r\n');
      // A server that refuses by Content-Length answers before the body: then the body is not sent (a
      // close with unread bytes would be a reset, which can discard the answer already received).
      for (let i = 0; i < 10 && !answered; i++) await sleep(50);
      for (let off = 0; off < body.length && !answered && !sock.destroyed; off += 65_536) {
        if (!sock.write(body.subarray(off, off + 65_536))) await new Promise((res) => sock.once('drain', res));
      }
      // No half-close: some servers drop a request whose client has already sent FIN. `connection: close`
      // makes the server close once it has answered.
    });
  });
}
