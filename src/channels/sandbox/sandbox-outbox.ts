import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import type { OutboundMessage } from '../../ports/channel-adapter.js';

export interface SandboxMessage {
  at: string;
  provider: string;
  appId?: string;
  deliveryId: string;
  channel: string;
  platform?: string;
  to: string;
  push?: OutboundMessage['push'];
  sms?: OutboundMessage['sms'];
  email?: OutboundMessage['email'];
  providerMessageId: string;
}

/**
 * What the sandbox providers "sent": the latest messages in memory (for the API and dashboard) and,
 * when a file is given, every message appended as a JSON line. The append is one write(2) per batch
 * of lines, so what a provider call recorded survives a kill -9 of this process — the crash tests
 * read it to count provider calls.
 */
export class SandboxOutbox extends EventEmitter {
  private recent: SandboxMessage[] = [];
  private fd: number | undefined;
  private pending: string[] = [];
  private flushScheduled = false;
  total = 0;
  /** Attempts per delivery across all sandbox providers, for the `flaky…` test recipients (failover keeps counting). */
  readonly attempts = new Map<string, number>();

  constructor(
    file?: string,
    private readonly keep = 500,
  ) {
    super();
    if (file) {
      // It holds every app's messages: owner-only (SPEC §11), also when an older file had a looser mode.
      this.fd = openSync(file, 'a', 0o600);
      fchmodSync(this.fd, 0o600);
    }
  }

  record(m: SandboxMessage): void {
    this.total++;
    this.recent.push(m);
    if (this.recent.length > this.keep * 2) this.recent = this.recent.slice(-this.keep);
    if (this.fd !== undefined) {
      this.pending.push(JSON.stringify(m) + '\n');
      // Flush before the adapter's promise resolves to its caller (a microtask later), so a
      // recorded outcome never precedes its line in the file.
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => this.flush());
      }
    }
    this.emit('message', m);
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.fd === undefined || this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    writeSync(this.fd, chunk);
  }

  list(appId: string, limit = 100, channel?: string): SandboxMessage[] {
    const src = this.recent.filter((m) => m.appId === appId && (!channel || m.channel === channel));
    return src.slice(-limit).reverse();
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
