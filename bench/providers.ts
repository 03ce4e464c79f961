/**
 * npm run bench -- --mode providers [--count 5000]
 * Per provider: deliveries/s through Herald's adapter against its emulator, the same emulator's raw
 * capacity with a bare client loop, and the ratio (goal ≥ 0.8).
 */
import { benchPushProviders } from './provider-push.js';
import { benchMessagingProviders } from './provider-messaging.js';

export async function runProviderBench(count: number): Promise<void> {
  const progress = (line: string) => process.stderr.write(`\r  ${line.padEnd(70)}`);
  console.log(`per-provider bench: ${count} deliveries per provider and mode`);
  const rows = [...(await benchPushProviders({ count, onProgress: progress })), ...(await benchMessagingProviders({ count: Math.min(count, 3000), onProgress: progress }))];
  process.stderr.write('\n');
  console.log('\nprovider    adapter/s    raw/s   ratio');
  for (const r of rows) console.log(`${r.provider.padEnd(10)} ${String(Math.round(r.adapterPerSec)).padStart(9)} ${String(Math.round(r.rawPerSec)).padStart(8)}   ${r.ratio.toFixed(2)}`);
}
