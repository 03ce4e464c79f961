export { startWebPushEmulator } from './emulator.js';
export type { EmulatedSubscription, WebPushEmulator, WebPushEmulatorOptions, WebPushFault, WebPushReceived } from './emulator.js';
