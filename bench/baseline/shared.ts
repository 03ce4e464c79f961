/**
 * What the scaled bench's clients send and to whom, shared by the bench (which creates the users in
 * Herald) and the baseline worker (which knows them from here: it keeps no database).
 */

/** The baseline's one BullMQ queue. */
export const BASELINE_QUEUE = 'notifications';

export type BenchChannel = 'push' | 'sms' | 'email';

export interface BenchUser {
  id: string;
  name: string;
  email: string;
  phone: string;
  platform: 'ios' | 'android';
  token: string;
}

/** User `i`: odd ones have an iPhone (APNs), even ones an Android phone (FCM); all a phone number and an address. */
export function benchUser(i: number): BenchUser {
  const id = `u${i}`;
  const ios = i % 2 === 1;
  return {
    id,
    name: `User ${i}`,
    email: `${id}@example.com`,
    phone: `+1415555${String(1000 + (i % 9000)).padStart(4, '0')}`,
    platform: ios ? 'ios' : 'android',
    token: ios ? i.toString(16).padStart(64, '0') : `fcm_${id}_${'x'.repeat(140)}`,
  };
}

/** The user behind an id made by benchUser. */
export function benchUserById(id: string): BenchUser | undefined {
  const m = /^u(\d+)$/.exec(id);
  return m ? benchUser(Number(m[1])) : undefined;
}

/** The template Herald gets (PUT /v1/templates/bench); the baseline renders the same strings by hand. */
export const BENCH_TEMPLATE = {
  channels: {
    push: { title: 'Hello {{ user.name }}', body: 'Message {{ params.n }}' },
    sms: { text: 'Message {{ params.n }}' },
    email: { subject: 'Message {{ params.n }}', html: '<p>Hi {{ user.name }}</p>' },
  },
};

export interface BenchNotification {
  user_id: string;
  template: string;
  params: { n: number };
  channels: BenchChannel[];
}

/** Notification `n` of the daily mix: 10 push : 1 SMS : 5 email. */
export function benchNotification(n: number, users: number): BenchNotification {
  const r = n % 16;
  const channel: BenchChannel = r < 10 ? 'push' : r < 11 ? 'sms' : 'email';
  return { user_id: `u${n % users}`, template: 'bench', params: { n }, channels: [channel] };
}
