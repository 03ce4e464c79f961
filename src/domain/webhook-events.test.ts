import { describe, expect, it } from 'vitest';
import { EVENT_PATTERN, eventMatcher } from './webhook-events.js';

describe('webhook event names', () => {
  const ok = (name: string) => new RegExp(EVENT_PATTERN).test(name);

  it('accept every type Herald writes, its families and everything', () => {
    for (const name of ['*', 'sent', 'delivered', 'retrying', 'unsubscribed', 'alert.raised', 'alert.resolved', 'alert.*']) expect(ok(name), name).toBe(true);
  });

  it('refuse names Herald never writes', () => {
    for (const name of ['delivred', 'sent.*', 'alert', 'alert.x', 'x.*', '**', 'SENT', 'sent ', '', 'a|b']) expect(ok(name), name).toBe(false);
  });

  it('match families by prefix', () => {
    const m = eventMatcher(['alert.*', 'sent']);
    expect([m('alert.raised'), m('sent'), m('delivered')]).toEqual([true, true, false]);
  });
});
