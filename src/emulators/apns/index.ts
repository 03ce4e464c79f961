export { startApnsEmulator } from './emulator.js';
export type { ApnsEmulator, ApnsEmulatorOptions, ApnsFault, ApnsReceived } from './types.js';
export type { ApnsEmulatorKey, ApnsProviderKey } from './provider-tokens.js';
