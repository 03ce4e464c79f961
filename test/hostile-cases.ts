/**
 * The hostile-input table (issue 12, SPEC §11): every case is one request with the status and error code
 * Herald must answer. test/hostile-input.suite.ts runs it against a real `herald serve` on SQLite and on
 * PostgreSQL, checking after each case that /healthz answered within 1 s (also while the request was
 * pending) and that nothing was written. Cases name fixtures with placeholders (`@NID@`…) that the suite
 * fills in once it has made them.
 */

export type Auth =
  | 'app' // the fixture app's Basic credentials
  | 'other-app' // a second app on the same installation
  | 'user-token' // a user token of the fixture app's user `tok-user`
  | 'none'
  | 'wrong-secret'
  | 'unknown-key'
  | 'malformed-basic'
  | 'forged-token'
  | 'garbage-bearer';

export interface HostileCase {
  /** Class, as in the issue: depth, nul, dates, media, ids, templates, liquid, cron, webhooks, outbound, auth, numeric, tenancy, public. */
  cls: string;
  name: string;
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Sent as given (percent-encoding and `..` included); placeholders are filled in. */
  path: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string or Buffer as the raw body (content-type JSON unless `headers` names one; '' sends none). */
  body?: unknown;
  auth: Auth;
  /** The status (or acceptable statuses) and, for errors, the envelope's code (or acceptable codes). */
  expect: { status: number | number[]; code?: string | string[] };
  /** A valid request kept in the table as a control: it is expected to write. */
  writes?: boolean;
  /** A template fixture that must exist for the case to mean anything (it may have been refused at save, which is fine). */
  fixture?: string;
  /** Strings (placeholders allowed) that must not appear in the response: another app's ids, a file's content. */
  excludes?: string[];
  /** A batch may also answer 200 with every item refused with one of the expected codes. */
  batchItems?: boolean;
}

// ---- building blocks -------------------------------------------------------------------------------

/** `n` levels of nested objects, as JSON text (no recursion: 100,000 levels are fine). */
export const deepObj = (n: number, leaf = '1') => '{"a":'.repeat(n) + leaf + '}'.repeat(n);
/** `n` levels of nested arrays. */
export const deepArr = (n: number) => '['.repeat(n) + ']'.repeat(n);

const IOS = 'ab'.repeat(32);
export const P256DH = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString('base64url');
export const AUTH16 = Buffer.alloc(16, 1).toString('base64url');
const webDevice = (endpoint: string) => ({ platform: 'web', subscription: { endpoint, keys: { p256dh: P256DH, auth: AUTH16 } } });
const SMS = { to: { phone: '+14155552671' }, content: { sms: { text: 'hi' } } };
const SECRET16 = 'whsec-0123456789abcdef';
const FAR = '2030-01-01T09:00:00Z';
const BAD = (status: number | number[], code?: string | string[]) => ({ status, code });
const RENDER = BAD(400, ['render_limit', 'content_too_large']);
const RENDER_ONLY = BAD(400, 'render_limit');
const TOO_LARGE = BAD(400, ['content_too_large', 'render_limit']);
const FILE_REF = BAD(400, ['invalid_template', 'unknown_template']);
const INVALID = BAD(400, 'invalid_request');
const JSON_DEPTH = BAD(400, 'invalid_json');
const ENDPOINT = BAD(400, 'invalid_endpoint');
const MEDIA = BAD(415, 'unsupported_media_type');
const NOT_FOUND = (code: string) => BAD(404, code);
const UNAUTHORIZED = BAD(401, 'unauthorized');

const id = (n: number, ch = 'u') => ch.repeat(n);

/** Template fixtures the suite creates before the hostile server starts (see hostile-input.suite.ts). */
// `n` is the value of the only param, so the template renders harmlessly at save (no params: n = 0) and a
// preview or send chooses the size of the bomb. Iterating `params` works with strictVariables.
const N = '{% assign n = 0 %}{% for p in params %}{% assign n = p[1] %}{% endfor %}';
const T = '{% assign t = "" %}{% for p in params %}{% assign t = p[1] %}{% endfor %}';
export const TEMPLATE_FIXTURES: Record<string, unknown> = {
  ok_tpl: {
    category: 'orders',
    channels: {
      push: { title: 'Hi {{ params.name }}', body: 'b' },
      sms: { text: 'Hi {{ params.name }}' },
      email: { subject: 'Hi', html: '<p>Hi {{ params.name }}</p>' },
    },
  },
  ok_part: { channels: { sms: { text: 'part' } } },
  bomb_loop: { channels: { sms: { text: `${N}{% for i in (1..n) %}{% endfor %}ok` } } },
  bomb_nested: { channels: { sms: { text: `${N}{% for a in (1..n) %}{% for b in (1..n) %}{% endfor %}{% endfor %}ok` } } },
  bomb_double: { channels: { sms: { text: `${N}{% assign s = "xxxxxxxxxx" %}{% for i in (1..n) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}` } } },
  bomb_replace: { channels: { sms: { text: `${N}{% assign s = "xx" %}{% for i in (1..n) %}{% assign s = s | replace: "x", s %}{% endfor %}{{ s | size }}` } } },
  bomb_concat: { channels: { sms: { text: `${N}{% assign a = "x" | split: "," %}{% for i in (1..n) %}{% assign a = a | concat: a %}{% endfor %}{{ a | size }}` } } },
  bomb_sort: { channels: { sms: { text: `${N}{% assign a = (1..n) %}{% assign b = a | sort | reverse | sort %}{{ b | size }}` } } },
  out_sms: { channels: { sms: { text: `${T}x{{ t }}` } } },
  out_email: { channels: { email: { subject: 's', html: `${T}x{{ t }}` } } },
  out_push: { channels: { push: { title: 't', body: `${T}x{{ t }}` } } },
  // Names another template only when a param says which; without params it includes ok_part.
  dyninc: { channels: { sms: { text: '{% assign f = "ok_part" %}{% for p in params %}{% assign f = p[1] %}{% endfor %}{% include f %}' } } },
  // Includes itself once any param is given (include shares the scope, so it never stops).
  rec: { channels: { sms: { text: '{% assign go = false %}{% for p in params %}{% assign go = true %}{% endfor %}x{% if go %}{% include "rec" %}{% endif %}' } } },
  // Renders `pong`, which does not exist yet: the case that saves pong closes the cycle.
  ping: { channels: { sms: { text: "{% render 'pong' %}" } } },
};

/** Static Liquid bombs: each must be refused at save (the template is rendered with empty params, bounded). */
export const STATIC_BOMBS: { name: string; channels: unknown; expect: HostileCase['expect'] }[] = [
  { name: 'string doubling 40 times (the issue’s ~90-character OOM)', channels: { sms: { text: '{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}' } }, expect: RENDER },
  { name: 'string doubling 40 times, only its size printed (memory, no output)', channels: { sms: { text: '{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}' } }, expect: RENDER_ONLY },
  { name: 'capture doubling 40 times (no append filter)', channels: { sms: { text: '{% capture s %}xxxxxxxxxx{% endcapture %}{% for i in (1..40) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}{{ s | size }}' } }, expect: RENDER_ONLY },
  { name: 'replace squaring: "x" → s, 8 times (2^256 characters)', channels: { sms: { text: '{% assign s = "xx" %}{% for i in (1..8) %}{% assign s = s | replace: "x", s %}{% endfor %}{{ s | size }}' } }, expect: RENDER_ONLY },
  { name: 'split/join array doubling 30 times', channels: { sms: { text: '{% assign a = "x,x,x,x,x,x,x,x,x,x" | split: "," %}{% for i in (1..30) %}{% assign j = a | join: "," %}{% assign a = j | append: "," | append: j | split: "," %}{% endfor %}{{ a | size }}' } }, expect: RENDER_ONLY },
  { name: 'concat array doubling 40 times', channels: { sms: { text: '{% assign a = "x" | split: "," %}{% for i in (1..40) %}{% assign a = a | concat: a %}{% endfor %}{{ a | size }}' } }, expect: RENDER_ONLY },
  { name: 'nested loops 10^4 × 10^4 printing x (the issue’s 32 s stall)', channels: { email: { subject: 's', html: '{% for a in (1..10000) %}{% for b in (1..10000) %}x{% endfor %}{% endfor %}' } }, expect: RENDER },
  { name: 'nested loops 10^4 × 10^4, silent (CPU only)', channels: { sms: { text: '{% for a in (1..10000) %}{% for b in (1..10000) %}{% endfor %}{% endfor %}ok' } }, expect: RENDER_ONLY },
  { name: 'the same nested loops in a {% liquid %} tag', channels: { sms: { text: '{% liquid\nfor a in (1..10000)\nfor b in (1..10000)\nendfor\nendfor %}ok' } }, expect: RENDER_ONLY },
  { name: 'one loop over (1..10^9)', channels: { sms: { text: '{% for i in (1..1000000000) %}{% endfor %}ok' } }, expect: RENDER_ONLY },
  { name: 'one loop over (1..9999999999999999)', channels: { sms: { text: '{% for i in (1..9999999999999999) %}{% endfor %}ok' } }, expect: RENDER_ONLY },
  { name: 'a million reversed iterations (~0.6 s of CPU, over the 100 ms budget)', channels: { sms: { text: '{% for i in (1..1000000) reversed %}{% endfor %}ok' } }, expect: RENDER_ONLY },
  { name: '40 nested loops of two (2^40 iterations in 1,321 characters)', channels: { sms: { text: '{% for i in (1..2) %}'.repeat(40) + 'x' + '{% endfor %}'.repeat(40) } }, expect: RENDER },
  { name: 'increment 10^8 times', channels: { sms: { text: '{% for i in (1..100000000) %}{% increment c %}{% endfor %}' } }, expect: RENDER },
  { name: 'cycle 10^7 times', channels: { email: { subject: 's', html: '{% for i in (1..10000000) %}{% cycle "a","b","c" %}{% endfor %}' } }, expect: RENDER },
  { name: 'nested tablerow 3,000 × 3,000', channels: { email: { subject: 's', html: '{% tablerow a in (1..3000) %}{% tablerow b in (1..3000) %}x{% endtablerow %}{% endtablerow %}' } }, expect: RENDER },
  { name: 'sort a 3,000,000-element range three times', channels: { sms: { text: '{% assign a = (1..3000000) %}{% assign b = a | sort | reverse | sort %}{{ b | size }}' } }, expect: RENDER_ONLY },
  { name: 'a bomb in a locale override', channels: { sms: { text: 'ok' } }, expect: RENDER_ONLY },
  { name: 'a bomb in push data', channels: { push: { title: 't', data: { k: '{% for a in (1..10000) %}{% for b in (1..10000) %}{% endfor %}{% endfor %}' } } }, expect: RENDER_ONLY },
  { name: 'parse bomb: 20,000 nested {% if %} (email html)', channels: { email: { subject: 's', html: '{% if true %}'.repeat(20000) + 'x' + '{% endif %}'.repeat(20000) } }, expect: BAD(400, ['invalid_template', 'render_limit']) },
  { name: 'parse bomb: 50,000 unclosed {% for %} (email html)', channels: { email: { subject: 's', html: '{% for i in (1..2) %}'.repeat(45000) } }, expect: BAD(400, ['invalid_template', 'render_limit']) },
  { name: 'parse bomb: 30,000 nested {% capture %} (email html)', channels: { email: { subject: 's', html: '{% capture a %}'.repeat(30000) + '{% endcapture %}'.repeat(30000) } }, expect: BAD(400, ['invalid_template', 'render_limit']) },
  { name: 'SMS rendering to 1,601 characters', channels: { sms: { text: '{% for i in (1..1601) %}x{% endfor %}' } }, expect: BAD(400, 'content_too_large') },
  { name: 'push body rendering to 5,000 characters (over 4 KB)', channels: { push: { title: 't', body: '{% for i in (1..5000) %}x{% endfor %}' } }, expect: BAD(400, 'content_too_large') },
  { name: 'web body rendering to 5,000 characters (over 4 KB)', channels: { web: { title: 't', body: '{% for i in (1..5000) %}x{% endfor %}' } }, expect: BAD(400, 'content_too_large') },
  { name: 'push data value rendering to 5,000 characters', channels: { push: { title: 't', data: { k: '{% for i in (1..5000) %}x{% endfor %}' } } }, expect: BAD(400, 'content_too_large') },
  { name: 'email html rendering to 1.1 MB', channels: { email: { subject: 's', html: '{% for i in (1..11000) %}' + 'x'.repeat(100) + '{% endfor %}' } }, expect: TOO_LARGE },
];
// The locale-override bomb: the default channel is harmless, the override is not.
const LOCALE_BOMB = { ko: { sms: { text: '{% for a in (1..10000) %}{% for b in (1..10000) %}{% endfor %}{% endfor %}ok' } } };

/** Static file references: names that are not template keys; refused at save, no file is ever read. */
const FILE_REFS: [string, unknown][] = [
  ["{% include 'data/secret.key' %}", { sms: { text: "{% include 'data/secret.key' %}" } }],
  ["{% render 'data/credentials.json' %}", { sms: { text: "{% render 'data/credentials.json' %}" } }],
  ["{% layout '../../etc/passwd' %}", { sms: { text: "{% layout '../../etc/passwd' %}x" } }],
  ["{% include '/etc/passwd' %}", { sms: { text: "{% include '/etc/passwd' %}" } }],
  ["{% include '../data/secret.key' %} in email html", { email: { subject: 's', html: "{% include '../data/secret.key' %}" } }],
  ["{% render '/proc/self/environ' %}", { sms: { text: "{% render '/proc/self/environ' %}" } }],
  ["{% include 'data/herald.db' %} in push title", { push: { title: "{% include 'data/herald.db' %}" } }],
  ["{% include 'data/sandbox-outbox.jsonl' %}", { sms: { text: "{% include 'data/sandbox-outbox.jsonl' %}" } }],
  ["{% layout 'canary.txt' %} (a file in the working directory)", { sms: { text: "{% layout 'canary.txt' %}x" } }],
];

// ---- the table -------------------------------------------------------------------------------------

export function hostileCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const add = (cls: string, name: string, method: HostileCase['method'], path: string, body: unknown, expect: HostileCase['expect'], extra: Partial<HostileCase> = {}) =>
    cases.push({ cls, name, method, path, body, auth: 'app', expect, ...extra });

  // -- depth: JSON deeper than 32 levels is refused as invalid_json before anything looks at it; exactly
  //    32 levels (the whole document counted, its outer object being level 1) is fine where data is free-form.
  add('depth', 'user data 33 levels deep', 'PUT', '/v1/users/deep-u1', `{"data":${deepObj(32)}}`, JSON_DEPTH);
  add('depth', 'user data 5,000 levels deep (the issue’s 500)', 'PUT', '/v1/users/deep-u2', `{"data":${deepObj(4999)}}`, JSON_DEPTH);
  add('depth', 'user data 100,000 levels deep', 'PUT', '/v1/users/deep-u3', `{"data":${deepObj(99999)}}`, JSON_DEPTH);
  add('depth', 'user unknown field: 40 nested arrays', 'PUT', '/v1/users/deep-u4', `{"name":"x","extra":${deepArr(40)}}`, JSON_DEPTH);
  add('depth', 'existing user, data 5,000 levels deep', 'PUT', '/v1/users/ada', `{"data":${deepObj(4999)}}`, JSON_DEPTH);
  add('depth', 'preferences with an unknown field 5,000 levels deep', 'PUT', '/v1/users/ada/preferences', `{"channels":{"sms":true},"x":${deepObj(5000)}}`, JSON_DEPTH);
  add('depth', 'preferences categories 33 levels deep', 'PUT', '/v1/users/ada/preferences', `{"categories":{"m":${deepObj(31, 'true')}}}`, JSON_DEPTH);
  add('depth', '/v1/me/preferences 5,000 levels deep', 'PUT', '/v1/me/preferences', `{"x":${deepObj(5000)}}`, JSON_DEPTH, { auth: 'user-token' });
  add('depth', 'send params 33 levels deep', 'POST', '/v1/notifications', `{"user_id":"ada","template":"ok_tpl","params":${deepObj(32)}}`, JSON_DEPTH);
  add('depth', 'send params 5,000 levels deep', 'POST', '/v1/notifications', `{"user_id":"ada","template":"ok_tpl","params":{"name":"x","d":${deepObj(5000)}}}`, JSON_DEPTH);
  add('depth', 'inline push data 40 levels deep', 'POST', '/v1/notifications', `{"user_id":"ada","content":{"push":{"title":"t","data":${deepObj(40)}}}}`, JSON_DEPTH);
  add('depth', 'batch item params 40 levels deep', 'POST', '/v1/notifications/batch', `{"notifications":[{"user_id":"ada","template":"ok_tpl","params":${deepObj(40)}}]}`, JSON_DEPTH);
  add('depth', 'template push data 33 levels deep', 'PUT', '/v1/templates/deep-t1', `{"channels":{"push":{"title":"t","data":${deepObj(30)}}}}`, JSON_DEPTH);
  add('depth', 'template 5,000 levels deep', 'PUT', '/v1/templates/deep-t2', `{"channels":{"push":{"title":"t","data":${deepObj(5000)}}}}`, JSON_DEPTH);
  add('depth', 'preview params 5,000 levels deep', 'POST', '/v1/templates/ok_tpl/preview', `{"params":${deepObj(5000)}}`, JSON_DEPTH);
  add('depth', 'settings 40 levels deep', 'PUT', '/v1/settings', `{"frequency_caps":${deepObj(40)}}`, JSON_DEPTH);
  add('depth', 'settings 5,000 nested arrays', 'PUT', '/v1/settings', `{"client_templates":${deepArr(5000)}}`, JSON_DEPTH);
  add('depth', 'schedule notification params 40 levels deep', 'POST', '/v1/schedules', `{"cron":"0 0 29 2 *","notification":{"user_id":"ada","template":"ok_tpl","params":${deepObj(40)}}}`, JSON_DEPTH);
  add('depth', 'webhook events 40 nested arrays', 'PUT', '/v1/webhooks/deep-w', `{"url":"http://127.0.0.1:1/","events":${deepArr(40)},"secret":"${SECRET16}"}`, JSON_DEPTH);
  add('depth', 'provider config 40 levels deep', 'PUT', '/v1/providers/sendgrid', `{"api_key":${deepObj(40)},"from":"a@example.com"}`, JSON_DEPTH);
  add('depth', 'device subscription 40 levels deep', 'POST', '/v1/users/dev-target/devices', `{"platform":"web","subscription":${deepObj(40)}}`, JSON_DEPTH);
  add('depth', '/v1/me/devices 5,000 levels deep', 'POST', '/v1/me/devices', `{"platform":"ios","token":${deepArr(5000)}}`, JSON_DEPTH, { auth: 'user-token' });
  add('depth', '/v1/me/notifications params 5,000 levels deep', 'POST', '/v1/me/notifications', `{"template":"ok_tpl","params":${deepObj(5000)}}`, JSON_DEPTH, { auth: 'user-token' });
  add('depth', '/v1/me/events 40 levels deep', 'POST', '/v1/me/events', `{"type":"opened","delivery_id":${deepObj(40)}}`, JSON_DEPTH, { auth: 'user-token' });
  add('depth', 'token request 40 levels deep', 'POST', '/v1/users/tok-user/tokens', `{"ttl":${deepObj(40)}}`, JSON_DEPTH);
  add('depth', 'exactly 32 levels in user data is accepted', 'PUT', '/v1/users/deep32-a', `{"data":${deepObj(31)}}`, BAD(201), { writes: true });
  add('depth', 'exactly 32 levels of arrays in user data is accepted', 'PUT', '/v1/users/deep32-b', `{"data":{"a":${deepArr(30)}}}`, BAD(201), { writes: true });
  add('depth', 'exactly 32 levels in preview params is accepted', 'POST', '/v1/templates/ok_tpl/preview', `{"params":{"name":"x","d":${deepObj(30)}}}`, BAD(200));
  add('depth', 'exactly 32 levels in send params is accepted', 'POST', '/v1/notifications', `{"to":{"email":"d32@example.com"},"channels":["email"],"template":"ok_tpl","send_at":"${FAR}","params":{"name":"x","d":${deepObj(30)}}}`, BAD(202), { writes: true });

  // -- NUL characters and lone surrogates, anywhere in a string (values and keys), refused on both stores.
  const nul = (name: string, method: HostileCase['method'], path: string, raw: string | undefined, extra: Partial<HostileCase> = {}) => add('nul', name, method, path, raw, INVALID, extra);
  nul('NUL in a user email', 'PUT', '/v1/users/nul-u1', '{"email":"a\\u0000@example.com"}');
  nul('NUL in a user name', 'PUT', '/v1/users/nul-u2', '{"name":"Ada\\u0000"}');
  nul('NUL in an existing user’s name', 'PUT', '/v1/users/ada', '{"name":"Ada\\u0000Lovelace"}');
  nul('lone high surrogate in a user name', 'PUT', '/v1/users/nul-u3', '{"name":"\\ud800"}');
  nul('lone low surrogate in a user name', 'PUT', '/v1/users/nul-u4', '{"name":"x\\udfffy"}');
  nul('NUL in a user data value', 'PUT', '/v1/users/nul-u5', '{"data":{"k":"v\\u0000"}}');
  nul('NUL in a user data key', 'PUT', '/v1/users/nul-u6', '{"data":{"k\\u0000":"v"}}');
  nul('lone surrogate as a user data key', 'PUT', '/v1/users/nul-u7', '{"data":{"\\ud800":"v"}}');
  nul('NUL deep inside user data', 'PUT', '/v1/users/nul-u8', '{"data":{"a":[{"b":["\\u0000"]}]}}');
  add('nul', 'NUL in a user timezone', 'PUT', '/v1/users/nul-u9', '{"timezone":"UTC\\u0000"}', BAD(400, ['invalid_request', 'invalid_timezone']));
  nul('NUL in user_id of a send', 'POST', '/v1/notifications', '{"user_id":"ada\\u0000","content":{"sms":{"text":"x"}}}');
  nul('NUL in an inline email address', 'POST', '/v1/notifications', '{"to":{"email":"x\\u0000@example.com"},"content":{"email":{"subject":"s","text":"t"}}}');
  nul('NUL in inline SMS text', 'POST', '/v1/notifications', '{"to":{"phone":"+14155552671"},"content":{"sms":{"text":"hi\\u0000"}}}');
  nul('lone surrogate in an inline email subject', 'POST', '/v1/notifications', '{"to":{"email":"a@example.com"},"content":{"email":{"subject":"\\ud800","text":"t"}}}');
  nul('NUL in send params', 'POST', '/v1/notifications', '{"user_id":"ada","template":"ok_tpl","params":{"name":"\\u0000"}}');
  nul('lone surrogate as a send params key', 'POST', '/v1/notifications', '{"user_id":"ada","template":"ok_tpl","params":{"name":"x","\\ud800":1}}');
  nul('NUL in event_id', 'POST', '/v1/notifications', '{"event_id":"e\\u0000","to":{"phone":"+14155552671"},"content":{"sms":{"text":"x"}}}');
  nul('NUL in category', 'POST', '/v1/notifications', '{"category":"c\\u0000","to":{"phone":"+14155552671"},"content":{"sms":{"text":"x"}}}');
  nul('NUL in template SMS text', 'PUT', '/v1/templates/nul-t1', '{"channels":{"sms":{"text":"hi\\u0000"}}}');
  nul('lone surrogate in template email html', 'PUT', '/v1/templates/nul-t2', '{"channels":{"email":{"subject":"s","html":"<p>\\udbff</p>"}}}');
  nul('NUL as a template push data key', 'PUT', '/v1/templates/nul-t3', '{"channels":{"push":{"title":"t","data":{"k\\u0000":"v"}}}}');
  nul('NUL in a locale override', 'PUT', '/v1/templates/nul-t4', '{"channels":{"sms":{"text":"x"}},"locales":{"ko":{"sms":{"text":"\\u0000"}}}}');
  nul('NUL in a template category', 'PUT', '/v1/templates/nul-t5', '{"category":"a\\u0000","channels":{"sms":{"text":"x"}}}');
  nul('NUL in preview params', 'POST', '/v1/templates/ok_tpl/preview', '{"params":{"name":"\\u0000"}}');
  nul('NUL in a preference category', 'PUT', '/v1/users/ada/preferences', '{"categories":{"mark\\u0000eting":{"email":false}}}');
  nul('lone surrogate as a preference category', 'PUT', '/v1/users/ada/preferences', '{"categories":{"\\ud800":{"email":false}}}');
  nul('NUL in /v1/me/preferences', 'PUT', '/v1/me/preferences', '{"categories":{"a\\u0000":{"sms":false}}}', { auth: 'user-token' });
  add('nul', 'NUL in settings default_timezone', 'PUT', '/v1/settings', '{"default_timezone":"UTC\\u0000"}', BAD(400, ['invalid_request', 'invalid_timezone']));
  nul('NUL in settings client_templates', 'PUT', '/v1/settings', '{"client_templates":["a\\u0000"]}');
  add('nul', 'NUL in a webhook url', 'PUT', '/v1/webhooks/nul-w', `{"url":"http://127.0.0.1:1/\\u0000","events":["delivered"],"secret":"${SECRET16}"}`, BAD(400, ['invalid_request', 'invalid_endpoint', 'invalid_webhook_url']));
  add('nul', 'NUL in a provider api key', 'PUT', '/v1/providers/sendgrid', '{"api_key":"k\\u0000","from":"a@example.com","endpoint":"https://127.0.0.1:1"}', BAD(400, ['invalid_request', 'invalid_provider_config', 'invalid_endpoint']));
  add('nul', 'NUL in an APNs device token', 'POST', '/v1/users/dev-target/devices', `{"platform":"ios","token":"${IOS}\\u0000"}`, BAD(400, ['invalid_request', 'invalid_token']));
  add('nul', 'lone surrogate in an FCM token', 'POST', '/v1/me/devices', `{"platform":"android","token":"fcm-token_${'x'.repeat(140)}\\ud800"}`, BAD(400, ['invalid_request', 'invalid_token']), { auth: 'user-token' });
  nul('NUL in a schedule name', 'POST', '/v1/schedules', '{"name":"s\\u0000","cron":"0 0 29 2 *","notification":{"user_id":"ada","template":"ok_tpl","params":{"name":"x"}}}');
  nul('NUL in /v1/me/notifications params', 'POST', '/v1/me/notifications', `{"template":"ok_tpl","send_at":"${FAR}","params":{"name":"\\u0000"}}`, { auth: 'user-token' });
  nul('NUL in a batch item', 'POST', '/v1/notifications/batch', '{"notifications":[{"to":{"phone":"+14155552671"},"content":{"sms":{"text":"a\\u0000"}}}]}', { batchItems: true });
  nul('NUL in a query parameter (status)', 'GET', '/v1/notifications?status=%00', undefined);
  nul('NUL in a query parameter (template)', 'GET', '/v1/notifications?template=a%00', undefined);
  add('nul', 'NUL in analytics group_by', 'GET', '/v1/analytics?group_by=template%00', undefined, BAD(400, ['invalid_request', 'invalid_group_by']));
  nul('NUL in a user id in the path', 'GET', '/v1/users/a%00b', undefined);
  nul('NUL in a topic in the path', 'PUT', '/v1/users/ada/topics/n%00ews', undefined);
  nul('NUL in a template key in the path', 'GET', '/v1/templates/%00', undefined);
  nul('NUL in a webhook id in the path', 'GET', '/v1/webhooks/w%00', undefined);

  // -- impossible calendar dates are refused, not rolled over into the next month.
  const sendAt = (v: string) => `{"to":{"phone":"+14155552671"},"content":{"sms":{"text":"x"}},"send_at":"${v}"}`;
  for (const v of ['2027-02-30T09:00:00Z', '2027-02-29T09:00:00Z', '2027-04-31T09:00:00Z', '2027-13-01T09:00:00Z', '2027-01-01T24:30:00Z', '2027-01-01T23:60:00Z', '2027-02-30']) {
    add('dates', `send_at ${v}`, 'POST', '/v1/notifications', sendAt(v), BAD(400, 'invalid_send_at'));
  }
  for (const d of ['2027-02-30', '2027-02-29', '2027-06-31']) {
    add('dates', `send_at_local with date ${d}`, 'POST', '/v1/notifications', `{"user_id":"ada","content":{"sms":{"text":"x"}},"send_at_local":"09:00","date":"${d}"}`, BAD(400, 'invalid_send_at'));
  }
  add('dates', '/v1/me/notifications send_at 2027-02-30T09:00:00Z', 'POST', '/v1/me/notifications', '{"template":"ok_tpl","params":{"name":"x"},"send_at":"2027-02-30T09:00:00Z"}', BAD(400, 'invalid_send_at'), { auth: 'user-token' });
  add('dates', 'batch item send_at 2027-02-30T09:00:00Z', 'POST', '/v1/notifications/batch', `{"notifications":[${sendAt('2027-02-30T09:00:00Z')}]}`, BAD(400, 'invalid_send_at'), { batchItems: true });
  add('dates', 'analytics since=2027-02-30', 'GET', '/v1/analytics?since=2027-02-30', undefined, BAD(400, 'invalid_date'));
  add('dates', 'analytics until=2027-02-31T00:00:00Z', 'GET', '/v1/analytics?until=2027-02-31T00:00:00Z', undefined, BAD(400, 'invalid_date'));
  add('dates', 'analytics since=2027-00-10', 'GET', '/v1/analytics?since=2027-00-10', undefined, BAD(400, 'invalid_date'));
  add('dates', 'notification log since=2027-02-30', 'GET', '/v1/notifications?since=2027-02-30', undefined, BAD(400, ['invalid_request', 'invalid_date']));
  add('dates', 'notification log since=2027-02-30T00:00:00Z', 'GET', '/v1/notifications?since=2027-02-30T00:00:00Z', undefined, BAD(400, ['invalid_request', 'invalid_date']));
  add('dates', 'a real leap day (2028-02-29) is accepted', 'POST', '/v1/notifications', sendAt('2028-02-29T09:00:00Z'), BAD(202), { writes: true });

  // -- non-JSON bodies on JSON routes (415), malformed JSON (400 invalid_json), over 5 MB (413).
  const jsonRoutes: [string, HostileCase['method'], string, Auth, string][] = [
    ['send', 'POST', '/v1/notifications', 'app', JSON.stringify(SMS)],
    ['batch', 'POST', '/v1/notifications/batch', 'app', JSON.stringify({ notifications: [SMS] })],
    ['user', 'PUT', '/v1/users/media-u', 'app', '{"email":"m@example.com"}'],
    ['preferences', 'PUT', '/v1/users/ada/preferences', 'app', '{"channels":{"sms":false}}'],
    ['device', 'POST', '/v1/users/dev-target/devices', 'app', JSON.stringify({ platform: 'ios', token: IOS })],
    ['template', 'PUT', '/v1/templates/media-t', 'app', '{"channels":{"sms":{"text":"x"}}}'],
    ['preview', 'POST', '/v1/templates/ok_tpl/preview', 'app', '{"params":{"name":"x"}}'],
    ['settings', 'PUT', '/v1/settings', 'app', '{"default_timezone":"Europe/Berlin"}'],
    ['schedule', 'POST', '/v1/schedules', 'app', '{"cron":"0 0 29 2 *","notification":{"user_id":"ada","template":"ok_tpl","params":{"name":"x"}}}'],
    ['webhook', 'PUT', '/v1/webhooks/media-w', 'app', `{"url":"http://127.0.0.1:1/","events":["delivered"],"secret":"${SECRET16}"}`],
    ['provider', 'PUT', '/v1/providers/sendgrid', 'app', '{"api_key":"k","from":"a@example.com"}'],
    ['token', 'POST', '/v1/users/tok-user/tokens', 'app', '{"ttl":3600}'],
    ['/v1/me/preferences', 'PUT', '/v1/me/preferences', 'user-token', '{"channels":{"sms":false}}'],
    ['/v1/me/notifications', 'POST', '/v1/me/notifications', 'user-token', `{"template":"ok_tpl","params":{"name":"x"},"send_at":"${FAR}"}`],
  ];
  for (const [what, method, path, auth, body] of jsonRoutes) add('media', `text/plain JSON text → ${what}`, method, path, body, MEDIA, { auth, headers: { 'content-type': 'text/plain' } });
  for (const [what, method, path, auth] of jsonRoutes.slice(0, 4)) add('media', `form-urlencoded → ${what}`, method, path, 'user_id=ada&template=ok_tpl', MEDIA, { auth, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  for (const [what, method, path, auth] of [jsonRoutes[0], jsonRoutes[5], jsonRoutes[12]]) {
    add('media', `multipart/form-data → ${what}`, method, path, '--b\r\ncontent-disposition: form-data; name="user_id"\r\n\r\nada\r\n--b--\r\n', MEDIA, { auth, headers: { 'content-type': 'multipart/form-data; boundary=b' } });
  }
  add('media', 'application/xml → send', 'POST', '/v1/notifications', '<user_id>ada</user_id>', MEDIA, { headers: { 'content-type': 'application/xml' } });
  add('media', 'no content-type with a body → send', 'POST', '/v1/notifications', JSON.stringify(SMS), MEDIA, { headers: { 'content-type': '' } });
  add('media', 'no content-type with a body → user', 'PUT', '/v1/users/media-u2', '{"email":"m@example.com"}', MEDIA, { headers: { 'content-type': '' } });
  add('media', 'application/jsonx → template', 'PUT', '/v1/templates/media-t2', '{"channels":{"sms":{"text":"x"}}}', MEDIA, { headers: { 'content-type': 'application/jsonx' } });
  for (const [what, method, path, auth] of [jsonRoutes[0], jsonRoutes[2], jsonRoutes[5], jsonRoutes[7], jsonRoutes[12]]) {
    add('media', `malformed JSON → ${what}`, method, path, '{"a": 1,', JSON_DEPTH, { auth });
  }
  add('media', 'JSON with trailing garbage → send', 'POST', '/v1/notifications', `${JSON.stringify(SMS)}x`, JSON_DEPTH);
  add('media', 'empty body with a JSON content-type → user', 'PUT', '/v1/users/media-u3', '', JSON_DEPTH);
  add('media', 'single quotes → preferences', 'PUT', '/v1/users/ada/preferences', "{'channels':{}}", JSON_DEPTH);
  add('media', '__proto__ key → user', 'PUT', '/v1/users/media-u4', '{"__proto__":{"isAdmin":true},"name":"x"}', BAD(400, ['invalid_json', 'invalid_request']));
  add('media', 'constructor.prototype key → settings', 'PUT', '/v1/settings', '{"constructor":{"prototype":{"x":1}}}', BAD(400, ['invalid_json', 'invalid_request']));
  add('media', 'a JSON string instead of an object → template', 'PUT', '/v1/templates/media-t3', '"x"', INVALID);
  add('media', 'JSON null → settings', 'PUT', '/v1/settings', 'null', BAD(400, ['invalid_request', 'invalid_json']));
  const big = (n: number) => 'x'.repeat(n);
  add('media', 'body over 5 MB → send', 'POST', '/v1/notifications', `{"user_id":"ada","template":"ok_tpl","params":{"name":"${big(5_300_000)}"}}`, BAD(413, 'payload_too_large'));
  add('media', 'body over 5 MB → user', 'PUT', '/v1/users/big-u', `{"data":{"k":"${big(5_300_000)}"}}`, BAD(413, 'payload_too_large'));
  add('media', 'body over 5 MB → template', 'PUT', '/v1/templates/big-t', `{"channels":{"email":{"subject":"s","html":"${big(5_300_000)}"}}}`, BAD(413, 'payload_too_large'));
  add('media', 'body over 5 MB → /v1/me/preferences', 'PUT', '/v1/me/preferences', `{"categories":{"a":{"sms":false}},"x":"${big(5_300_000)}"}`, BAD(413, 'payload_too_large'), { auth: 'user-token' });

  // -- ids: 200 characters for ids users choose; longer is a 400 envelope (not Fastify's 414); only
  //    A–Z a–z 0–9 . _ : @ + - ; traversal goes nowhere.
  add('ids', 'user id of 201 characters (GET)', 'GET', `/v1/users/${id(201)}`, undefined, INVALID);
  add('ids', 'user id of 201 characters (PUT)', 'PUT', `/v1/users/${id(201)}`, { email: 'a@example.com' }, INVALID);
  add('ids', 'user id of 5,000 characters', 'GET', `/v1/users/${id(5000)}`, undefined, INVALID);
  add('ids', 'user id of 150 characters is accepted', 'PUT', `/v1/users/${id(150)}`, { email: 'u150@example.com' }, BAD(201), { writes: true });
  add('ids', 'user id of 200 characters is accepted', 'PUT', `/v1/users/${id(200)}`, { email: 'u200@example.com' }, BAD(201), { writes: true });
  add('ids', 'user id of 200 characters reads back', 'GET', `/v1/users/${id(200)}`, undefined, BAD(200));
  add('ids', 'user id of 201 characters in devices', 'POST', `/v1/users/${id(201)}/devices`, { platform: 'ios', token: IOS }, INVALID);
  add('ids', 'user id of 201 characters in preferences', 'GET', `/v1/users/${id(201)}/preferences`, undefined, INVALID);
  add('ids', 'user id of 201 characters in topics', 'GET', `/v1/users/${id(201)}/topics`, undefined, INVALID);
  add('ids', 'user id of 201 characters in a device delete', 'DELETE', `/v1/users/${id(201)}/devices/x`, undefined, INVALID);
  add('ids', 'user id of 201 characters for a token', 'POST', `/v1/users/${id(201)}/tokens`, { ttl: 3600 }, INVALID);
  add('ids', 'topic of 201 characters', 'PUT', `/v1/users/ada/topics/${id(201, 't')}`, undefined, INVALID);
  add('ids', 'device id of 200 characters', 'DELETE', `/v1/users/ada/devices/${id(200, 'd')}`, undefined, BAD([400, 404], ['invalid_request', 'unknown_device']));
  add('ids', 'template key of 201 characters (PUT)', 'PUT', `/v1/templates/${id(201, 'k')}`, { channels: { sms: { text: 'x' } } }, INVALID);
  add('ids', 'template key of 201 characters (GET)', 'GET', `/v1/templates/${id(201, 'k')}`, undefined, INVALID);
  add('ids', 'template key of 201 characters (DELETE)', 'DELETE', `/v1/templates/${id(201, 'k')}`, undefined, INVALID);
  add('ids', 'template key of 201 characters (preview)', 'POST', `/v1/templates/${id(201, 'k')}/preview`, { params: {} }, INVALID);
  add('ids', 'template key of 200 characters is accepted', 'PUT', `/v1/templates/${id(200, 'k')}`, { channels: { sms: { text: 'x' } } }, BAD(201), { writes: true });
  add('ids', 'webhook id of 201 characters (PUT)', 'PUT', `/v1/webhooks/${id(201, 'w')}`, { url: 'http://127.0.0.1:1/', events: ['delivered'], secret: SECRET16 }, INVALID);
  add('ids', 'webhook id of 201 characters (GET)', 'GET', `/v1/webhooks/${id(201, 'w')}`, undefined, INVALID);
  add('ids', 'webhook id of 201 characters (deliveries)', 'GET', `/v1/webhooks/${id(201, 'w')}/deliveries`, undefined, INVALID);
  add('ids', 'provider name of 201 characters (PUT)', 'PUT', `/v1/providers/${id(201, 'p')}`, { api_key: 'k', from: 'a@example.com' }, INVALID);
  add('ids', 'provider name of 201 characters (DELETE)', 'DELETE', `/v1/providers/${id(201, 'p')}`, undefined, INVALID);
  add('ids', 'unknown provider name fax', 'PUT', '/v1/providers/fax', { api_key: 'k' }, BAD([400, 404], ['invalid_request', 'unknown_provider']));
  add('ids', 'user id of 201 characters in a send body', 'POST', '/v1/notifications', { user_id: id(201), content: { sms: { text: 'x' } } }, INVALID);
  add('ids', 'user_ids with a 201-character id', 'POST', '/v1/notifications', { user_ids: ['ada', id(201)], content: { sms: { text: 'x' } } }, INVALID);
  add('ids', 'event_id of 201 characters', 'POST', '/v1/notifications', { ...SMS, event_id: id(201, 'e') }, INVALID);
  add('ids', 'Idempotency-Key of 201 characters', 'POST', '/v1/notifications', SMS, INVALID, { headers: { 'idempotency-key': id(201, 'i') } });
  add('ids', 'template key of 201 characters in a send', 'POST', '/v1/notifications', { to: { phone: '+14155552671' }, template: id(201, 'k') }, INVALID);
  add('ids', 'topic of 201 characters in a send', 'POST', '/v1/notifications', { topic: id(201, 't'), content: { sms: { text: 'x' } } }, INVALID);
  for (const [label, enc] of [
    ['a space', 'a%20b'],
    ['a slash (%2F)', 'a%2Fb'],
    ['a double quote', 'a%22b'],
    ['<script>', '%3Cscript%3E'],
    ['é', '%C3%A9'],
    ['a backslash', 'a%5Cb'],
    ['a question mark (%3F)', 'a%3Fb'],
    ['a percent sign', 'a%25b'],
    ['a single quote', "a'b"],
    ['a right-to-left override', 'a%E2%80%AEb'],
  ]) {
    add('ids', `user id with ${label}`, 'PUT', `/v1/users/${enc}`, { email: 'x@example.com' }, INVALID);
  }
  add('ids', 'template key with a slash', 'PUT', '/v1/templates/a%2Fb', { channels: { sms: { text: 'x' } } }, INVALID);
  add('ids', 'template key with a space', 'PUT', '/v1/templates/a%20b', { channels: { sms: { text: 'x' } } }, INVALID);
  add('ids', 'webhook id with a slash', 'PUT', '/v1/webhooks/a%2Fb', { url: 'http://127.0.0.1:1/', events: ['delivered'], secret: SECRET16 }, INVALID);
  add('ids', 'topic with a slash', 'PUT', '/v1/users/ada/topics/a%2Fb', undefined, INVALID);
  add('ids', 'traversal in a user id: ..%2F..%2Fx', 'GET', '/v1/users/..%2F..%2Fx', undefined, INVALID);
  add('ids', 'traversal in a user id (PUT): ..%2F..%2Fsettings', 'PUT', '/v1/users/..%2F..%2Fsettings', { name: 'x' }, INVALID);
  add('ids', 'traversal in a template key: ..%2F..%2Fdata%2Fsecret.key', 'GET', '/v1/templates/..%2F..%2Fdata%2Fsecret.key', undefined, INVALID);
  add('ids', 'traversal in a template preview key', 'POST', '/v1/templates/..%2Fok_tpl/preview', { params: {} }, INVALID);
  add('ids', 'traversal in a provider name', 'PUT', '/v1/providers/..%2F..%2Fx', { api_key: 'k' }, BAD([400, 404], ['invalid_request', 'unknown_provider']));
  add('ids', 'traversal in a webhook id', 'DELETE', '/v1/webhooks/..%2Fwh1', undefined, INVALID);
  add('ids', 'traversal in a device id', 'DELETE', '/v1/users/ada/devices/..%2F..%2F@DEVID@', undefined, BAD([400, 404], ['invalid_request', 'unknown_device']));
  add('ids', 'raw ../ in the path matches no route', 'GET', '/v1/users/../../v1/settings', undefined, NOT_FOUND('not_found'));
  add('ids', 'notification id that is not a UUID', 'GET', "/v1/notifications/1'%20OR%20'1'='1", undefined, INVALID);
  add('ids', 'notification id of 36 dashes', 'GET', `/v1/notifications/${'-'.repeat(36)}`, undefined, BAD([400, 404], ['invalid_request', 'unknown_notification']));
  add('ids', 'notification id of 36 hex digits, no dashes', 'DELETE', `/v1/notifications/${'f'.repeat(36)}`, undefined, BAD([400, 404], ['invalid_request', 'unknown_notification']));
  add('ids', 'delivery id of 36 dashes (retry)', 'POST', `/v1/deliveries/${'-'.repeat(36)}/retry`, undefined, BAD([400, 404], ['invalid_request', 'unknown_dead_letter']));
  add('ids', 'schedule id of 36 dashes', 'GET', `/v1/schedules/${'-'.repeat(36)}`, undefined, BAD([400, 404], ['invalid_request', 'unknown_schedule']));
  add('ids', 'schedule id of 36 hex digits (pause)', 'POST', `/v1/schedules/${'a'.repeat(36)}/pause`, undefined, BAD([400, 404], ['invalid_request', 'unknown_schedule']));
  add('ids', 'schedule id of 36 dashes (resume)', 'POST', `/v1/schedules/${'-'.repeat(36)}/resume`, undefined, BAD([400, 404], ['invalid_request', 'unknown_schedule']));
  add('ids', 'schedule id that is not a UUID (DELETE)', 'DELETE', '/v1/schedules/..%2F..', undefined, INVALID);
  add('ids', 'log cursor of 36 dashes', 'GET', `/v1/notifications?cursor=${'-'.repeat(36)}`, undefined, BAD([200, 400], 'invalid_request'));
  add('ids', 'dead-letter cursor of 36 dashes', 'GET', `/v1/dead-letters?cursor=${'-'.repeat(36)}`, undefined, BAD([200, 400], 'invalid_request'));
  add('ids', 'webhook deliveries cursor of 36 dashes', 'GET', `/v1/webhooks/wh1/deliveries?cursor=${'-'.repeat(36)}`, undefined, BAD([200, 400], 'invalid_request'));

  // -- templates: channels, locale tags, empty content.
  add('templates', 'channel fax', 'PUT', '/v1/templates/tpl-fax', { channels: { fax: { text: 'x' } } }, INVALID);
  add('templates', 'channel fax beside sms', 'PUT', '/v1/templates/tpl-fax2', { channels: { sms: { text: 'x' }, fax: { text: 'y' } } }, INVALID);
  add('templates', 'locale key ../../x', 'PUT', '/v1/templates/tpl-loc1', { channels: { sms: { text: 'x' } }, locales: { '../../x': { sms: { text: 'y' } } } }, INVALID);
  add('templates', 'locale key x"y', 'PUT', '/v1/templates/tpl-loc2', { channels: { sms: { text: 'x' } }, locales: { 'x"y': { sms: { text: 'y' } } } }, INVALID);
  add('templates', 'empty locale key', 'PUT', '/v1/templates/tpl-loc3', { channels: { sms: { text: 'x' } }, locales: { '': { sms: { text: 'y' } } } }, INVALID);
  add('templates', 'locale override with channel fax', 'PUT', '/v1/templates/tpl-loc4', { channels: { sms: { text: 'x' } }, locales: { ko: { fax: { text: 'y' } } } }, INVALID);
  add('templates', 'a valid BCP 47 locale (pt-BR) is accepted', 'PUT', '/v1/templates/tpl-ptbr', { channels: { sms: { text: 'x' } }, locales: { 'pt-BR': { sms: { text: 'Olá' } } } }, BAD(201), { writes: true });
  add('templates', 'no channels', 'PUT', '/v1/templates/tpl-empty', { channels: {} }, BAD(400, 'invalid_template'));
  add('templates', 'no channels key at all', 'PUT', '/v1/templates/tpl-empty2', {}, BAD(400, ['invalid_template', 'invalid_request']));
  add('templates', 'sms without text', 'PUT', '/v1/templates/tpl-sms', { channels: { sms: {} } }, INVALID);
  add('templates', 'APNs badge -1', 'PUT', '/v1/templates/tpl-b1', { channels: { push: { title: 't', badge: -1 } } }, INVALID);
  add('templates', 'APNs badge 100000', 'PUT', '/v1/templates/tpl-b2', { channels: { push: { title: 't', badge: 100000 } } }, INVALID);
  add('templates', 'APNs badge 1.5', 'PUT', '/v1/templates/tpl-b3', { channels: { push: { title: 't', badge: 1.5 } } }, INVALID);
  add('templates', 'APNs badge "3"', 'PUT', '/v1/templates/tpl-b4', { channels: { push: { title: 't', badge: '3' } } }, INVALID);
  add('templates', 'APNs badge 1e300 in a locale override', 'PUT', '/v1/templates/tpl-b5', '{"channels":{"push":{"title":"t"}},"locales":{"ko":{"push":{"badge":1e300}}}}', INVALID);
  add('templates', 'content: {} in a send', 'POST', '/v1/notifications', { user_id: 'ada', content: {} }, BAD(400, 'invalid_content'));
  add('templates', 'content: null in a send', 'POST', '/v1/notifications', { user_id: 'ada', content: null }, BAD(400, ['invalid_request', 'invalid_content']));
  add('templates', 'inline content with channel fax', 'POST', '/v1/notifications', { user_id: 'ada', content: { sms: { text: 'x' }, fax: { text: 'y' } } }, BAD(400, ['invalid_request', 'invalid_content']));
  add('templates', 'inline APNs badge 100000', 'POST', '/v1/notifications', { user_id: 'ada', content: { push: { title: 't', badge: 100000 } } }, INVALID);
  add('templates', 'inline APNs badge -1', 'POST', '/v1/notifications', { user_id: 'ada', content: { push: { title: 't', badge: -1 } } }, INVALID);
  add('templates', 'inline APNs badge 2.5', 'POST', '/v1/notifications', { user_id: 'ada', content: { push: { title: 't', badge: 2.5 } } }, INVALID);

  // -- Liquid: bounded rendering, no file system, recursion refused. Every bomb is answered quickly while
  //    /healthz keeps answering.
  STATIC_BOMBS.forEach((b, i) => add('liquid', `save: ${b.name}`, 'PUT', `/v1/templates/lq-bomb-${i}`, { channels: b.channels, ...(b.name.includes('locale') ? { locales: LOCALE_BOMB } : {}) }, b.expect));
  FILE_REFS.forEach(([name, channels], i) => add('liquid', `save: ${name}`, 'PUT', `/v1/templates/lq-file-${i}`, { channels }, FILE_REF, { excludes: ['@SECRETS@'] }));
  add('liquid', "save: {% render 'self' %} in template self", 'PUT', '/v1/templates/self', { channels: { sms: { text: "{% render 'self' %}" } } }, BAD(400, ['render_limit', 'invalid_template']));
  add('liquid', "save: {% include 'self2' %} in template self2", 'PUT', '/v1/templates/self2', { channels: { email: { subject: 's', html: "a{% include 'self2' %}" } } }, BAD(400, ['render_limit', 'invalid_template']));
  add('liquid', 'save: pong renders ping, which renders pong (a cycle)', 'PUT', '/v1/templates/pong', { channels: { sms: { text: "{% render 'ping' %}" } } }, BAD(400, ['render_limit', 'invalid_template']));
  const preview = (name: string, key: string, params: unknown, expect: HostileCase['expect'], extra: Partial<HostileCase> = {}) =>
    add('liquid', `preview: ${name}`, 'POST', `/v1/templates/${key}/preview`, { params }, expect, { fixture: key, excludes: ['@SECRETS@'], ...extra });
  preview('a loop over (1..10^9)', 'bomb_loop', { n: 1_000_000_000 }, RENDER_ONLY);
  preview('nested loops 10^4 × 10^4', 'bomb_nested', { n: 10_000 }, RENDER_ONLY);
  preview('string doubling 40 times', 'bomb_double', { n: 40 }, RENDER_ONLY);
  preview('replace squaring 8 times', 'bomb_replace', { n: 8 }, RENDER_ONLY);
  preview('concat doubling 40 times', 'bomb_concat', { n: 40 }, RENDER_ONLY);
  preview('sorting a 5,000,000-element range', 'bomb_sort', { n: 5_000_000 }, RENDER_ONLY);
  preview('SMS output of 1,601 characters', 'out_sms', { t: 'y'.repeat(1600) }, BAD(400, 'content_too_large'));
  preview('email output over 1 MB', 'out_email', { t: 'y'.repeat(1_100_000) }, TOO_LARGE);
  preview('push output over 4 KB', 'out_push', { t: 'y'.repeat(5000) }, BAD(400, 'content_too_large'));
  for (const f of ['data/secret.key', '/etc/passwd', '../data/secret.key', 'data/credentials.json', 'canary.txt', 'x']) {
    preview(`dynamic include of ${f}`, 'dyninc', { f }, BAD([400, 404], ['invalid_template', 'unknown_template', 'render_failed']));
  }
  preview('recursive include (rec includes rec)', 'rec', { go: 1 }, BAD(400, ['render_limit', 'invalid_template']));
  preview('a harmless preview still works (control)', 'ok_tpl', { name: 'Ada' }, BAD(200));
  const sendVia = (name: string, body: unknown, expect: HostileCase['expect'], fixture: string, extra: Partial<HostileCase> = {}) =>
    add('liquid', `send: ${name}`, 'POST', '/v1/notifications', body, expect, { fixture, excludes: ['@SECRETS@'], ...extra });
  sendVia('nested loops 10^4 × 10^4', { to: { phone: '+14155552671' }, template: 'bomb_nested', params: { n: 10_000 } }, RENDER_ONLY, 'bomb_nested');
  sendVia('a loop over (1..10^9)', { to: { phone: '+14155552671' }, template: 'bomb_loop', params: { n: 1_000_000_000 } }, RENDER_ONLY, 'bomb_loop');
  sendVia('string doubling 40 times', { user_id: 'ada', channels: ['sms'], template: 'bomb_double', params: { n: 40 } }, RENDER_ONLY, 'bomb_double');
  sendVia('SMS output of 1,601 characters', { to: { phone: '+14155552671' }, template: 'out_sms', params: { t: 'y'.repeat(1600) } }, BAD(400, 'content_too_large'), 'out_sms');
  sendVia('email output over 1 MB', { to: { email: 'big@example.com' }, template: 'out_email', params: { t: 'y'.repeat(1_100_000) } }, TOO_LARGE, 'out_email');
  sendVia('push output over 4 KB', { user_id: 'ada', channels: ['push'], template: 'out_push', params: { t: 'y'.repeat(5000) } }, BAD(400, 'content_too_large'), 'out_push');
  sendVia('dynamic include of data/secret.key', { to: { phone: '+14155552671' }, template: 'dyninc', params: { f: 'data/secret.key' } }, BAD([400, 404], ['invalid_template', 'unknown_template', 'render_failed']), 'dyninc');
  sendVia('recursive include', { to: { phone: '+14155552671' }, template: 'rec', params: { go: 1 } }, BAD(400, ['render_limit', 'invalid_template']), 'rec');
  sendVia('batch item with nested loops', { notifications: [{ to: { phone: '+14155552671' }, template: 'bomb_nested', params: { n: 10_000 } }] }, RENDER_ONLY, 'bomb_nested', { path: '/v1/notifications/batch', batchItems: true });
  add('liquid', 'send: a client app’s reminder through a bomb template', 'POST', '/v1/me/notifications', { template: 'bomb_nested', params: { n: 10_000 } }, RENDER_ONLY, { auth: 'user-token', fixture: 'bomb_nested' });

  // -- cron: at most once a minute.
  const schedule = (cron: string, tz?: string) => ({ cron, ...(tz ? { timezone: tz } : {}), notification: { user_id: 'ada', template: 'ok_tpl', params: { name: 'x' } } });
  for (const cron of ['* * * * * *', '*/1 * * * * *', '*/30 * * * * *', '0,30 * * * * *', '0-59 * * * * *', '* * * * * * *']) add('cron', `cron ${cron}`, 'POST', '/v1/schedules', schedule(cron), BAD(400, 'invalid_cron'));
  add('cron', 'cron * * * * * * with timezone "user"', 'POST', '/v1/schedules', schedule('* * * * * *', 'user'), BAD(400, 'invalid_cron'));
  add('cron', 'cron that never fires', 'POST', '/v1/schedules', schedule('0 0 30 2 *'), BAD(400, 'invalid_cron'));
  add('cron', 'schedule notification ttl -1', 'POST', '/v1/schedules', { cron: '0 0 29 2 *', notification: { ...SMS, ttl: -1 } }, INVALID);
  add('cron', 'a rare valid cron is accepted (control)', 'POST', '/v1/schedules', schedule('0 0 29 2 *'), BAD(201), { writes: true });

  // -- webhooks: known event names only. (The URL is loopback, refused too: the event check comes first
  //    in the schema; either refusal is a 400 and nothing is stored.)
  const hook = (events: unknown, url = 'http://127.0.0.1:1/') => ({ url, events, secret: SECRET16 });
  add('webhooks', 'unknown event name "hacked"', 'PUT', '/v1/webhooks/ev-1', hook(['hacked']), BAD(400, ['invalid_request', 'invalid_endpoint']));
  add('webhooks', 'unknown event family "order.shipped"', 'PUT', '/v1/webhooks/ev-2', hook(['delivered', 'order.shipped']), BAD(400, ['invalid_request', 'invalid_endpoint']));
  add('webhooks', 'no events', 'PUT', '/v1/webhooks/ev-3', hook([]), INVALID);
  add('webhooks', '101 events', 'PUT', '/v1/webhooks/ev-4', hook(Array.from({ length: 101 }, () => 'delivered')), INVALID);
  add('webhooks', 'secret shorter than 16 characters', 'PUT', '/v1/webhooks/ev-5', { url: 'http://127.0.0.1:1/', events: ['delivered'], secret: 'short' }, BAD(400, ['invalid_request', 'invalid_endpoint']));

  // -- outbound: loopback in every spelling is refused when registered (only loopback addresses here).
  for (const url of [
    'http://127.0.0.1:1/',
    'https://127.0.0.1:1/hook',
    'http://localhost:1/',
    'http://[::1]:1/',
    'http://[::ffff:127.0.0.1]:1/',
    'http://[::ffff:7f00:1]:1/',
    'http://[0:0:0:0:0:0:0:1]:1/',
    'http://0.0.0.0:1/',
    'http://2130706433:1/',
    'http://127.1:1/',
    'http://0x7f000001:1/',
    'http://017700000001:1/',
    'http://127.255.255.254:1/',
  ]) {
    add('outbound', `webhook url ${url}`, 'PUT', '/v1/webhooks/ssrf', hook(['delivered'], url), ENDPOINT);
  }
  add('outbound', 'web push endpoint over http (not https)', 'POST', '/v1/users/dev-target/devices', webDevice('http://127.0.0.1:1/x'), BAD(400, ['invalid_endpoint', 'invalid_subscription']));
  for (const ep of ['https://127.0.0.1:1/x', 'https://localhost:1/x', 'https://[::1]:1/x', 'https://[::ffff:127.0.0.1]:1/x', 'https://0.0.0.0:1/x', 'https://2130706433:1/x']) {
    add('outbound', `web push endpoint ${ep}`, 'POST', '/v1/users/dev-target/devices', webDevice(ep), ENDPOINT);
  }
  add('outbound', 'web push endpoint https://127.0.0.1:1/x from a user token', 'POST', '/v1/me/devices', webDevice('https://127.0.0.1:1/x'), ENDPOINT, { auth: 'user-token' });
  add('outbound', 'web push endpoint https://localhost:1/x from a user token', 'POST', '/v1/me/devices', webDevice('https://localhost:1/x'), ENDPOINT, { auth: 'user-token' });
  add('outbound', 'web push endpoint over http from a user token', 'POST', '/v1/me/devices', webDevice('http://127.0.0.1:1/x'), BAD(400, ['invalid_endpoint', 'invalid_subscription']), { auth: 'user-token' });
  const twilio = (endpoint: string) => ({ account_sid: `AC${'0'.repeat(32)}`, auth_token: 'token', from: '+14155550000', endpoint });
  add('outbound', 'twilio endpoint https://127.0.0.1:1', 'PUT', '/v1/providers/twilio', twilio('https://127.0.0.1:1'), ENDPOINT);
  add('outbound', 'twilio endpoint http://localhost:1', 'PUT', '/v1/providers/twilio', twilio('http://localhost:1'), ENDPOINT);
  add('outbound', 'sendgrid endpoint https://127.0.0.1:1', 'PUT', '/v1/providers/sendgrid', { api_key: 'k', from: 'a@example.com', endpoint: 'https://127.0.0.1:1' }, ENDPOINT);
  add('outbound', 'sendgrid endpoint https://[::1]:1', 'PUT', '/v1/providers/sendgrid', { api_key: 'k', from: 'a@example.com', endpoint: 'https://[::1]:1' }, ENDPOINT);
  add('outbound', 'vonage endpoint https://2130706433:1', 'PUT', '/v1/providers/vonage', { api_key: 'k', api_secret: 's', from: 'Herald', endpoint: 'https://2130706433:1' }, ENDPOINT);
  add('outbound', 'apns endpoint https://127.0.0.1:1', 'PUT', '/v1/providers/apns', { team_id: 'TEAM123456', key_id: 'KEY1234567', private_key: '@P8@', topic: 'com.example.app', endpoint: 'https://127.0.0.1:1' }, ENDPOINT);
  add('outbound', 'apns endpoint https://[::ffff:127.0.0.1]:1', 'PUT', '/v1/providers/apns', { team_id: 'TEAM123456', key_id: 'KEY1234567', private_key: '@P8@', topic: 'com.example.app', endpoint: 'https://[::ffff:127.0.0.1]:1' }, ENDPOINT);
  const sa = (extra: Record<string, string> = {}) => ({ project_id: 'p', client_email: 'svc@p.iam.gserviceaccount.com', private_key: '@RSA@', ...extra });
  add('outbound', 'fcm endpoint https://127.0.0.1:1', 'PUT', '/v1/providers/fcm', { service_account: sa(), endpoint: 'https://127.0.0.1:1' }, ENDPOINT);
  add('outbound', 'fcm token_uri https://127.0.0.1:1/token', 'PUT', '/v1/providers/fcm', { service_account: sa({ token_uri: 'https://127.0.0.1:1/token' }) }, ENDPOINT);
  add('outbound', 'smtp host 127.0.0.1', 'PUT', '/v1/providers/smtp', { host: '127.0.0.1', port: 1, from: 'a@example.com' }, ENDPOINT);
  add('outbound', 'smtp host localhost', 'PUT', '/v1/providers/smtp', { host: 'localhost', port: 1, from: 'a@example.com' }, ENDPOINT);

  // -- auth: no or wrong credentials, a user token outside /v1/me, app credentials on /v1/me, unsigned
  //    receipts. These run from their own client addresses (the failed-auth limit is per address).
  const auth = (name: string, method: HostileCase['method'], path: string, a: Auth, body: unknown, expect: HostileCase['expect'] = UNAUTHORIZED, extra: Partial<HostileCase> = {}) =>
    cases.push({ cls: 'auth', name, method, path, body, auth: a, expect, ...extra });
  auth('no credentials: read a user', 'GET', '/v1/users/ada', 'none', undefined);
  auth('no credentials: change a user', 'PUT', '/v1/users/ada', 'none', { name: 'pwned' });
  auth('wrong secret: send', 'POST', '/v1/notifications', 'wrong-secret', SMS);
  auth('unknown key: settings', 'GET', '/v1/settings', 'unknown-key', undefined);
  auth('malformed Basic header: change settings', 'PUT', '/v1/settings', 'malformed-basic', { default_timezone: 'UTC' });
  auth('wrong secret: delete a template', 'DELETE', '/v1/templates/ok_tpl', 'wrong-secret', undefined);
  auth('a user token on a template route', 'GET', '/v1/templates/ok_tpl', 'user-token', undefined, BAD([401, 403], ['unauthorized', 'forbidden']));
  auth('a user token sending to anyone', 'POST', '/v1/notifications', 'user-token', SMS, BAD([401, 403], ['unauthorized', 'forbidden']));
  auth('a user token minting tokens', 'POST', '/v1/users/ada/tokens', 'user-token', { ttl: 3600 }, BAD([401, 403], ['unauthorized', 'forbidden']));
  auth('app credentials on /v1/me/preferences', 'PUT', '/v1/me/preferences', 'app', { channels: { sms: false } });
  auth('no credentials on /v1/me/preferences', 'GET', '/v1/me/preferences', 'none', undefined);
  auth('forged user token on /v1/me/devices', 'POST', '/v1/me/devices', 'forged-token', { platform: 'ios', token: IOS });
  auth('garbage bearer on /v1/me/events', 'POST', '/v1/me/events', 'garbage-bearer', { type: 'opened', delivery_id: '@DID@' });
  auth('no credentials on /v1/me/webpush', 'GET', '/v1/me/webpush', 'none', undefined);
  auth('app credentials on /v1/me/sandbox/web-subscription', 'POST', '/v1/me/sandbox/web-subscription', 'app', undefined);
  auth('no credentials on /v1/me/notifications', 'POST', '/v1/me/notifications', 'none', { template: 'ok_tpl' });
  auth('no credentials: mint a token', 'POST', '/v1/users/tok-user/tokens', 'none', { ttl: 3600 });
  auth('garbage bearer on an app route', 'GET', '/v1/webhooks', 'garbage-bearer', undefined);
  auth('unsigned Twilio receipt', 'POST', '/hooks/twilio', 'none', 'MessageSid=SM1&MessageStatus=delivered', BAD(401, 'unsigned_receipt'), { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  auth('forged Twilio receipt', 'POST', '/hooks/twilio', 'none', 'MessageSid=SM1&MessageStatus=delivered', BAD([400, 403], ['forged_receipt', 'invalid_receipt']), { headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'AAAA' } });
  auth('unsigned SendGrid receipt, 5,000 levels deep', 'POST', '/hooks/sendgrid', 'none', deepArr(5000), BAD([400, 401], ['unsigned_receipt', 'invalid_json']));
  auth('unsigned Vonage receipt (GET)', 'GET', '/hooks/vonage?messageId=x&status=delivered', 'none', undefined, BAD([400, 401], ['unsigned_receipt', 'invalid_receipt']));
  auth('Vonage receipt that is not JSON', 'POST', '/hooks/vonage', 'none', '{"messageId":', BAD(400, ['invalid_json', 'invalid_receipt']));

  // -- numeric ranges.
  for (const [label, ttl] of [['-1', '-1'], ['0', '0'], ['2419201 (over 28 days)', '2419201'], ['1e15', '1e15'], ['1.5', '1.5'], ['"60" (a string)', '"60"']] as const) {
    add('numeric', `send ttl ${label}`, 'POST', '/v1/notifications', `{"to":{"phone":"+14155552671"},"content":{"sms":{"text":"x"}},"ttl":${ttl}}`, INVALID);
  }
  add('numeric', 'user_ids with 1,001 ids', 'POST', '/v1/notifications', { user_ids: Array.from({ length: 1001 }, (_, i) => `u${i}`), content: { sms: { text: 'x' } } }, INVALID);
  add('numeric', 'batch of 1,001 notifications', 'POST', '/v1/notifications/batch', { notifications: Array.from({ length: 1001 }, () => SMS) }, INVALID);
  add('numeric', 'batch of 0 notifications', 'POST', '/v1/notifications/batch', { notifications: [] }, INVALID);
  for (const [label, ttl] of [['59', '59'], ['86401', '86401'], ['-1', '-1'], ['1e20', '1e20'], ['3600.5', '3600.5'], ['"3600"', '"3600"']] as const) {
    add('numeric', `token ttl ${label}`, 'POST', '/v1/users/tok-user/tokens', `{"ttl":${ttl}}`, INVALID);
  }
  add('numeric', 'frequency cap limit -1', 'PUT', '/v1/settings', { frequency_caps: { sms: { limit: -1, window_s: 3600 } } }, INVALID);
  add('numeric', 'frequency cap window 0', 'PUT', '/v1/settings', { frequency_caps: { sms: { limit: 3, window_s: 0 } } }, INVALID);
  add('numeric', 'frequency cap window -5', 'PUT', '/v1/settings', { frequency_caps: { email: { limit: 3, window_s: -5 } } }, INVALID);
  add('numeric', 'frequency cap limit 1e9', 'PUT', '/v1/settings', { frequency_caps: { push: { limit: 1e9, window_s: 60 } } }, INVALID);
  add('numeric', 'API rate limit 0', 'PUT', '/v1/settings', { api_rate_limit: { limit: 0, window_s: 60 } }, INVALID);
  add('numeric', 'retention events_days 0', 'PUT', '/v1/settings', { retention: { events_days: 0 } }, INVALID);
  add('numeric', 'alert failure rate 1.5', 'PUT', '/v1/settings', { alerts: { provider_failure_rate: 1.5 } }, INVALID);
  add('numeric', 'log limit=-1', 'GET', '/v1/notifications?limit=-1', undefined, INVALID);
  add('numeric', 'log limit=99999', 'GET', '/v1/notifications?limit=99999', undefined, INVALID);
  add('numeric', 'dead-letters limit=1e9', 'GET', '/v1/dead-letters?limit=1e9', undefined, INVALID);
  add('numeric', 'webhook deliveries limit=1000000', 'GET', '/v1/webhooks/wh1/deliveries?limit=1000000', undefined, INVALID);
  add('numeric', 'sandbox messages limit=-5', 'GET', '/v1/sandbox/messages?limit=-5', undefined, INVALID);
  add('numeric', 'sandbox messages channel=fax', 'GET', '/v1/sandbox/messages?channel=fax', undefined, INVALID);
  add('numeric', '/v1/me/notifications ttl -1', 'POST', '/v1/me/notifications', { template: 'ok_tpl', params: { name: 'x' }, ttl: -1 }, INVALID, { auth: 'user-token' });
  add('numeric', 'provider priority -1', 'PUT', '/v1/providers/sendgrid', { api_key: 'k', from: 'a@example.com', priority: -1 }, BAD(400, ['invalid_request', 'invalid_provider_config']));
  const cats = (n: number, len: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${String(i).padStart(len - 1, '0')}`, { email: false, sms: false, push: false }]));
  add('numeric', '/v1/me/preferences with 5,000 categories', 'PUT', '/v1/me/preferences', { categories: cats(5000, 8) }, BAD([400, 413], ['invalid_request', 'payload_too_large']), { auth: 'user-token' });
  add('numeric', '/v1/me/preferences of ~100 KB (1,000 long category names)', 'PUT', '/v1/me/preferences', { categories: cats(1000, 90) }, BAD([400, 413], ['invalid_request', 'payload_too_large']), { auth: 'user-token' });
  add('numeric', 'user preferences with 5,000 categories', 'PUT', '/v1/users/ada/preferences', { categories: cats(5000, 8) }, BAD([400, 413], ['invalid_request', 'payload_too_large']));

  // -- tenancy: another app sees and changes nothing of this one's (404, unchanged), a user token only its user.
  const other = (name: string, method: HostileCase['method'], path: string, body: unknown, expect: HostileCase['expect'], extra: Partial<HostileCase> = {}) =>
    cases.push({ cls: 'tenancy', name: `another app: ${name}`, method, path, body, auth: 'other-app', expect, ...extra });
  other('read a user', 'GET', '/v1/users/ada', undefined, NOT_FOUND('unknown_user'));
  other('erase a user', 'DELETE', '/v1/users/ada', undefined, NOT_FOUND('unknown_user'));
  other('read preferences', 'GET', '/v1/users/ada/preferences', undefined, NOT_FOUND('unknown_user'));
  other('change preferences', 'PUT', '/v1/users/ada/preferences', { channels: { email: false } }, NOT_FOUND('unknown_user'));
  other('list devices', 'GET', '/v1/users/ada/devices', undefined, NOT_FOUND('unknown_user'));
  other('register a device', 'POST', '/v1/users/ada/devices', { platform: 'ios', token: 'cd'.repeat(32) }, NOT_FOUND('unknown_user'));
  other('remove a device', 'DELETE', '/v1/users/ada/devices/@DEVID@', undefined, BAD(404, ['unknown_device', 'unknown_user']));
  other('list topics', 'GET', '/v1/users/ada/topics', undefined, NOT_FOUND('unknown_user'));
  other('subscribe to a topic', 'PUT', '/v1/users/ada/topics/news', undefined, NOT_FOUND('unknown_user'));
  other('unsubscribe from a topic', 'DELETE', '/v1/users/ada/topics/news', undefined, NOT_FOUND('unknown_user'));
  other('mint a user token', 'POST', '/v1/users/ada/tokens', { ttl: 3600 }, NOT_FOUND('unknown_user'));
  other('read a template', 'GET', '/v1/templates/ok_tpl', undefined, NOT_FOUND('unknown_template'));
  other('delete a template', 'DELETE', '/v1/templates/ok_tpl', undefined, NOT_FOUND('unknown_template'));
  other('preview a template', 'POST', '/v1/templates/ok_tpl/preview', { params: { name: 'x' } }, NOT_FOUND('unknown_template'));
  other('read a notification', 'GET', '/v1/notifications/@NID@', undefined, NOT_FOUND('unknown_notification'));
  other('cancel a notification', 'DELETE', '/v1/notifications/@NID@', undefined, NOT_FOUND('unknown_notification'));
  other('retry a delivery', 'POST', '/v1/deliveries/@DID@/retry', undefined, NOT_FOUND('unknown_dead_letter'));
  other('read a schedule', 'GET', '/v1/schedules/@SID@', undefined, NOT_FOUND('unknown_schedule'));
  other('pause a schedule', 'POST', '/v1/schedules/@SID@/pause', undefined, NOT_FOUND('unknown_schedule'));
  other('resume a schedule', 'POST', '/v1/schedules/@SID@/resume', undefined, NOT_FOUND('unknown_schedule'));
  other('delete a schedule', 'DELETE', '/v1/schedules/@SID@', undefined, NOT_FOUND('unknown_schedule'));
  other('read a webhook', 'GET', '/v1/webhooks/wh1', undefined, NOT_FOUND('unknown_webhook'));
  other('read a webhook’s deliveries', 'GET', '/v1/webhooks/wh1/deliveries', undefined, NOT_FOUND('unknown_webhook'));
  other('delete a webhook', 'DELETE', '/v1/webhooks/wh1', undefined, NOT_FOUND('unknown_webhook'));
  other('delete a provider', 'DELETE', '/v1/providers/twilio', undefined, BAD([204, 404], 'unknown_provider'));
  other('send to a user', 'POST', '/v1/notifications', { user_id: 'ada', content: { sms: { text: 'x' } } }, NOT_FOUND('unknown_user'));
  other('send with a template', 'POST', '/v1/notifications', { to: { phone: '+14155552671' }, template: 'ok_tpl', params: { name: 'x' } }, NOT_FOUND('unknown_template'));
  other('batch to a user', 'POST', '/v1/notifications/batch', { notifications: [{ user_id: 'ada', content: { sms: { text: 'x' } } }] }, NOT_FOUND('unknown_user'), { batchItems: true });
  other('the log filtered by a user', 'GET', '/v1/notifications?user_id=ada', undefined, BAD(200), { excludes: ['@NID@'] });
  other('the sandbox messages', 'GET', '/v1/sandbox/messages?limit=500', undefined, BAD(200), { excludes: ['@DID@', '@NID@'] });
  other('the providers', 'GET', '/v1/providers', undefined, BAD(200), { excludes: ['127.0.0.1:1', `AC${'1'.repeat(32)}`] });
  other('the webhooks', 'GET', '/v1/webhooks', undefined, BAD(200), { excludes: ['wh1'] });
  other('the schedules', 'GET', '/v1/schedules', undefined, BAD(200), { excludes: ['@SID@'] });
  other('the dead letters', 'GET', '/v1/dead-letters', undefined, BAD(200), { excludes: ['@DID@'] });
  other('the analytics', 'GET', '/v1/analytics?group_by=template', undefined, BAD(200), { excludes: ['ok_tpl'] });
  other('the alerts', 'GET', '/v1/alerts', undefined, BAD(200));
  other('the settings', 'GET', '/v1/settings', undefined, BAD(200), { excludes: ['bomb_nested'] });
  other('the queues (shared infrastructure, counts only)', 'GET', '/v1/queues', undefined, BAD(200), { excludes: ['@NID@', 'ada'] });
  add('tenancy', 'a user token reports another user’s delivery opened', 'POST', '/v1/me/events', { type: 'opened', delivery_id: '@DID@' }, NOT_FOUND('unknown_delivery'), { auth: 'user-token' });
  add('tenancy', 'a user token reads only its own preferences', 'GET', '/v1/me/preferences', undefined, BAD(200), { auth: 'user-token', excludes: ['ada-only-category'] });
  // In sandbox mode the emulator's VAPID key is answered (200); otherwise 404 without a webpush provider.
  add('tenancy', 'a user token gets only its own app’s VAPID key', 'GET', '/v1/me/webpush', undefined, BAD([200, 404], 'unknown_provider'), { auth: 'user-token' });
  add('tenancy', 'a user token cannot send a template the app did not allow', 'POST', '/v1/me/notifications', { template: 'out_sms', params: { t: 'x' } }, BAD(403, 'template_not_allowed'), { auth: 'user-token' });

  // -- public routes take hostile requests too.
  // A NUL in any query string may be refused (400) even on public routes; what matters is no 5xx.
  add('public', '/healthz with a NUL in the query', 'GET', '/healthz?x=%00', undefined, BAD([200, 400], 'invalid_request'), { auth: 'none' });
  add('public', '/readyz with a 8 KB query', 'GET', `/readyz?x=${'y'.repeat(8000)}`, undefined, BAD(200), { auth: 'none' });
  add('public', '/metrics with an odd query', 'GET', '/metrics?name[]=%00&%ff=1', undefined, BAD([200, 400], 'invalid_request'), { auth: 'none' });
  add('public', 'unknown route', 'GET', '/v1/%00/..%2F', undefined, NOT_FOUND('not_found'));
  return cases;
}

/** Whether a case is expected to fail authentication (it runs from a client address of its own). */
export function failsAuth(c: HostileCase): boolean {
  const statuses = ([] as number[]).concat(c.expect.status);
  return statuses.includes(401) || statuses.includes(403) || c.path.startsWith('/hooks/');
}
