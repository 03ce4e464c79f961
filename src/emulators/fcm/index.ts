export { startFcmEmulator } from './emulator.js';
export type { FcmEmulator, FcmEmulatorOptions, FcmFault, FcmReceived } from './emulator.js';
export type { FcmEmulatorAccount, FcmServiceAccountJson } from './oauth.js';
