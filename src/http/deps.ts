import type { Config } from '../config.js';
import type { Clock } from '../ports/clock.js';
import type { Queue } from '../ports/queue.js';
import type { Store } from '../ports/store.js';
import type { OutboundGuard } from '../ports/outbound-guard.js';
import type { AppService } from '../services/apps.js';
import type { SendService } from '../services/send.js';
import type { SettingsService } from '../services/settings.js';
import type { SandboxOutbox } from '../channels/sandbox/sandbox-outbox.js';
import type { SecretBox } from '../services/secret-box.js';
import type { Metrics } from '../services/metrics.js';
import type { SandboxEmulators } from '../emulators/sandbox/sandbox-emulators.js';
import type { ConfiguredDirectory, ProviderSource } from '../services/provider-directory.js';
import type { FailedAuthLimiter } from './auth-failures.js';

/** What route modules need; built once in main.ts. */
export interface HttpDeps {
  config: Config;
  store: Store;
  queue: Queue;
  clock: Clock;
  apps: AppService;
  send: SendService;
  settings: SettingsService;
  outbox?: SandboxOutbox;
  box: SecretBox;
  providers: ConfiguredDirectory;
  /** Where the providers in use come from (the Store, the sandbox emulators, or per channel one or the other): receipts are verified with these. */
  providerSource: ProviderSource;
  /**
   * The sandbox emulators run in this process (HERALD_SANDBOX is not 0). Which of an app's channels use
   * them is decided per app: providers.sandboxChannels(appId), or `sandbox` on the source's providers.
   */
  sandbox: boolean;
  metrics?: Metrics;
  /** Sandbox mode: the local provider emulators. */
  emulators?: SandboxEmulators;
  /** Checks tenant-given destinations when they are registered (webhook URLs, subscription endpoints, provider endpoints). */
  outbound: OutboundGuard;
  /** Failed authentications per client address, shared by the API, /metrics and the dashboard's sign-in (SPEC §11). */
  authFailures: FailedAuthLimiter;
}
