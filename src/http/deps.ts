import type { Config } from '../config.js';
import type { Clock } from '../ports/clock.js';
import type { Queue } from '../ports/queue.js';
import type { Store } from '../ports/store.js';
import type { AppService } from '../services/apps.js';
import type { SendService } from '../services/send.js';
import type { SettingsService } from '../services/settings.js';
import type { SandboxOutbox } from '../channels/sandbox/sandbox-outbox.js';
import type { SecretBox } from '../services/secret-box.js';
import type { Metrics } from '../services/metrics.js';
import type { SandboxEmulators } from '../emulators/sandbox/sandbox-emulators.js';
import type { ConfiguredDirectory, ProviderSource } from '../services/provider-directory.js';

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
  /** Where the providers in use come from (the Store, or the sandbox emulators): receipts are verified with these. */
  providerSource: ProviderSource;
  sandbox: boolean;
  metrics?: Metrics;
  /** Sandbox mode: the local provider emulators. */
  emulators?: SandboxEmulators;
}
