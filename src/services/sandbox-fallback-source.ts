import { PROVIDERS } from '../channels/registry.js';
import type { ProviderSource, ResolvedProvider } from './provider-directory.js';

/**
 * HERALD_SANDBOX unset: the sandbox is decided per app and channel (SPEC §11: one app's configuration
 * never changes another app's behaviour). An app's channel with a provider saved for it — enabled or not —
 * is served by what it saved; a channel it saved nothing for is served by the built-in emulators. Push is
 * one channel: saving FCM alone moves the app's push off the sandbox, iOS and web included, as it would
 * with HERALD_SANDBOX=0. A provider saved (or deleted) takes its channel over within the directory's
 * cache time, without a restart. (HERALD_SANDBOX=1 uses the emulators alone; 0 the saved providers alone.)
 */
export class SandboxFallbackSource implements ProviderSource {
  readonly shared = false;

  constructor(
    private readonly saved: ProviderSource,
    private readonly emulators: ProviderSource,
  ) {}

  async load(appId: string): Promise<ResolvedProvider[]> {
    const own = await this.saved.load(appId);
    const configured = new Set(own.map((p) => PROVIDERS[p.name].channel));
    // Each channel comes from one side only, so the failover order within a channel is that side's.
    const emulated = (await this.emulators.load(appId)).filter((p) => !configured.has(PROVIDERS[p.name].channel));
    return [...own, ...emulated];
  }
}
