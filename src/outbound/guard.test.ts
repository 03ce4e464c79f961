import { describe, expect, it } from 'vitest';
import type { LookupAddress } from 'node:dns';
import { OutboundRefused } from '../domain/outbound-refused.js';
import type { OutboundGuard } from '../ports/outbound-guard.js';
import { createOutboundGuard, type Resolver } from './guard.js';

// Nothing here opens a socket: these are the guard's answers alone (the sockets are in
// src/channels/outbound-sockets.test.ts and test/ssrf.test.ts). 203.0.113.0/24 (TEST-NET-3) stands in
// for "a public address": the classifier counts it as public, and it is never dialled.
const PUBLIC = '203.0.113.7';

/** What the guard's lookup answers: the address(es), or the error. */
function ask(guard: OutboundGuard, host: string, options: { all?: boolean; family?: number } = {}): Promise<{ err: Error | null; address: unknown }> {
  return new Promise((resolve) =>
    guard.lookup(host, options, (err: Error | null, address: string | LookupAddress[]) => resolve({ err, address })),
  );
}

/** A resolver that answers from a script, one answer per question, and counts the questions. */
function scripted(...answers: string[][]): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (host: string) => {
    asked.push(host);
    const next = answers[Math.min(asked.length - 1, answers.length - 1)];
    return next.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

describe('outbound guard', () => {
  const strict = createOutboundGuard({ allowPrivate: false });

  it.each(['127.0.0.1', '127.9.9.9', '::1', '[::1]', '::ffff:127.0.0.1', '::ffff:7f00:1', '0.0.0.0', '::', '[::]', '10.0.0.1', '169.254.169.254', '100.64.0.1', 'fd00::1', 'fe80::1', '64:ff9b::7f00:1', '2002:7f00:1::1', '224.0.0.1'])(
    'refuses the literal %s in lookup and check',
    async (host) => {
      const { err } = await ask(strict, host);
      expect(err).toBeInstanceOf(OutboundRefused);
      await expect(strict.check(host)).rejects.toBeInstanceOf(OutboundRefused);
    },
  );

  it('refuses a name that resolves to loopback (localhost, through the system resolver and no network)', async () => {
    const { err } = await ask(strict, 'localhost');
    expect(err).toBeInstanceOf(OutboundRefused);
    expect(err?.message).toBe('localhost resolves to a loopback address');
    await expect(strict.check('localhost')).rejects.toThrow('localhost resolves to a loopback address');
  });

  it('refuses numeric spellings the resolver turns into loopback (2130706433, 0177.0.0.1, 127.1)', async () => {
    for (const host of ['2130706433', '0177.0.0.1', '127.1']) {
      expect((await ask(strict, host)).err, host).toBeInstanceOf(OutboundRefused);
    }
  });

  it('answers a public name with what it resolves to, one address or all', async () => {
    const guard = createOutboundGuard({ allowPrivate: false, resolve: scripted([PUBLIC, '2001:db8:ffff::1']) });
    expect(await ask(guard, 'push.test')).toEqual({ err: null, address: PUBLIC });
    expect((await ask(guard, 'push.test', { all: true })).address).toEqual([
      { address: PUBLIC, family: 4 },
      { address: '2001:db8:ffff::1', family: 6 },
    ]);
    expect((await ask(guard, 'push.test', { family: 6 })).address).toBe('2001:db8:ffff::1');
    await expect(guard.check('push.test')).resolves.toBeUndefined();
  });

  it('refuses a name with any private address among public ones', async () => {
    const guard = createOutboundGuard({ allowPrivate: false, resolve: scripted([PUBLIC, '10.1.2.3']) });
    expect((await ask(guard, 'mixed.test')).err?.message).toBe('mixed.test resolves to a private address');
  });

  it('DNS rebinding: a name public when registered and loopback when connecting is refused at the connection', async () => {
    const resolver = scripted([PUBLIC], ['127.0.0.1']);
    const guard = createOutboundGuard({ allowPrivate: false, resolve: resolver });
    await expect(guard.check('rebind.test')).resolves.toBeUndefined(); // registration: public
    const { err, address } = await ask(guard, 'rebind.test'); // the socket's lookup asks again
    expect(err).toBeInstanceOf(OutboundRefused);
    expect(address).toBe('');
    expect(resolver.asked).toEqual(['rebind.test', 'rebind.test']); // no answer is cached between the two
  });

  it('passes resolver errors on as they are, not as refusals', async () => {
    const failing: Resolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' });
    };
    const guard = createOutboundGuard({ allowPrivate: false, resolve: failing });
    const { err } = await ask(guard, 'nowhere.invalid');
    expect(err).not.toBeInstanceOf(OutboundRefused);
    expect((err as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
  });

  it('with HERALD_ALLOW_PRIVATE_NETWORKS=1 answers loopback, and check() does not wait on DNS', async () => {
    const resolver = scripted(['127.0.0.1']);
    const open = createOutboundGuard({ allowPrivate: true, resolve: resolver });
    expect(open.allowsPrivate).toBe(true);
    expect(await ask(open, '127.0.0.1')).toEqual({ err: null, address: '127.0.0.1' });
    expect(await ask(open, '[::1]')).toEqual({ err: null, address: '::1' });
    expect(await ask(open, 'receiver.test')).toEqual({ err: null, address: '127.0.0.1' });
    await open.check('receiver.test');
    expect(resolver.asked).toEqual(['receiver.test']); // the lookup's, not check()'s
  });
});
