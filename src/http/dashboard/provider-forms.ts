import type { TSchema } from '@sinclair/typebox';
import { PROVIDERS } from '../../channels/registry.js';
import type { ProviderName } from '../../domain/delivery.js';
import { html, type Html } from './html.js';

/**
 * The settings form of each provider, derived from its schema in the channel registry (the one
 * PUT /v1/providers validates against), so a provider added there gets its form without a change
 * here. Only the labels are written by hand.
 */
export interface FieldSpec {
  /** Dotted path in the configuration, also the form field's name (`service_account.private_key`). */
  path: string;
  label: string;
  kind: 'text' | 'secret' | 'textarea' | 'number' | 'checkbox' | 'select';
  required: boolean;
  secret: boolean;
  options?: string[];
  hint?: string;
  /** The fieldset a nested object's fields sit in. */
  group?: string;
}

export const PROVIDER_LABEL: Record<ProviderName, string> = {
  apns: 'APNs',
  fcm: 'FCM',
  webpush: 'Web Push',
  twilio: 'Twilio',
  vonage: 'Vonage',
  sendgrid: 'SendGrid',
  smtp: 'SMTP',
};

/** `provider.path` first, then `path`; otherwise the key with its underscores as spaces. */
const LABELS: Record<string, string> = {
  team_id: 'Team ID',
  key_id: 'Key ID',
  private_key: 'Private key (PEM)',
  'apns.private_key': 'Private key (the .p8 file, PEM)',
  topic: 'Topic (the app’s bundle id)',
  production: 'Production APNs (not the development environment)',
  endpoint: 'Endpoint',
  service_account: 'Service account (from the Google JSON key file)',
  project_id: 'Project ID',
  client_email: 'Client email',
  private_key_id: 'Private key ID',
  token_uri: 'Token URI',
  vapid_public_key: 'VAPID public key',
  vapid_private_key: 'VAPID private key',
  subject: 'Subject (mailto: or https: URL)',
  account_sid: 'Account SID',
  auth_token: 'Auth token',
  'twilio.from': 'From (sender number, E.164)',
  messaging_service_sid: 'Messaging service SID (instead of From)',
  api_key: 'API key',
  api_secret: 'API secret',
  'vonage.from': 'From (number or sender id)',
  signature_secret: 'Signature secret (signed delivery receipts)',
  signature_method: 'Signature method',
  'sendgrid.from': 'From (e.g. Shop <shop@example.com>)',
  webhook_public_key: 'Event webhook verification key',
  host: 'Host',
  port: 'Port',
  secure: 'TLS from the first byte (usually port 465)',
  user: 'User name',
  pass: 'Password',
  'smtp.from': 'From (e.g. Shop <shop@example.com>)',
};

/** Hints where the schema's own description would not help someone filling in the form. */
const HINTS: Record<string, string> = {
  endpoint: 'Only scheme://host:port (e.g. https://127.0.0.1:8443); leave blank for the provider’s own service.',
  webhook_public_key: 'From the Event Webhook’s signature verification settings (base64 or PEM). SendGrid’s delivery events are taken only when they verify with it.',
};

const labelFor = (name: ProviderName, path: string) => {
  const key = path.split('.').pop()!;
  return LABELS[`${name}.${path}`] ?? LABELS[path] ?? LABELS[key] ?? key.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
};

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  anyOf?: { const?: unknown }[];
  maxLength?: number;
  pattern?: string;
  description?: string;
}

export function fieldsOf(name: ProviderName): FieldSpec[] {
  const secrets = new Set(PROVIDERS[name].secrets);
  const walk = (node: SchemaNode, prefix: string, group?: string): FieldSpec[] =>
    Object.entries(node.properties ?? {}).flatMap(([key, prop]) => {
      const path = prefix + key;
      const required = (node.required ?? []).includes(key);
      if (prop.type === 'object') return walk(prop, `${path}.`, labelFor(name, path));
      const secret = secrets.has(path);
      const base = { path, label: labelFor(name, path), required, secret, group, hint: HINTS[key] ?? prop.description };
      if (prop.type === 'boolean') return [{ ...base, kind: 'checkbox' as const }];
      if (prop.type === 'integer' || prop.type === 'number') return [{ ...base, kind: 'number' as const }];
      if (prop.anyOf) return [{ ...base, kind: 'select' as const, options: prop.anyOf.map((o) => String(o.const)) }];
      const long = (prop.maxLength ?? 0) >= 2000 || (prop.pattern ?? '').includes('PRIVATE KEY');
      return [{ ...base, kind: long ? ('textarea' as const) : secret ? ('secret' as const) : ('text' as const) }];
    });
  return walk(PROVIDERS[name].schema as TSchema as SchemaNode, '');
}

/** Names the form uses besides the provider's own fields. */
const RESERVED = new Set(['csrf', 'priority', 'enabled', 'clear']);

/**
 * The PUT body the form stands for. Blank fields are left out (a blank secret then keeps the stored
 * one); an unticked box is false; a number that is not one is passed on as text, for the schema to name.
 */
export function bodyFromForm(name: ProviderName, form: URLSearchParams): { body: Record<string, unknown>; clear: string[] } {
  const body: Record<string, unknown> = {};
  for (const f of fieldsOf(name)) {
    if (RESERVED.has(f.path)) continue;
    const raw = (form.get(f.path) ?? '').trim();
    const target = objectAt(body, f.path);
    const key = f.path.split('.').pop()!;
    if (f.kind === 'checkbox') target[key] = raw === 'on';
    else if (raw === '') continue;
    else target[key] = f.kind === 'number' && /^\d{1,9}$/.test(raw) ? Number(raw) : raw;
  }
  const priority = (form.get('priority') ?? '').trim();
  if (priority) body.priority = /^\d{1,9}$/.test(priority) ? Number(priority) : priority;
  body.enabled = form.get('enabled') === 'on';
  const secrets = new Set(PROVIDERS[name].secrets);
  return { body, clear: form.getAll('clear').filter((p) => secrets.has(p)) };
}

/** The object a dotted path's last key lives in, made on the way (a nested section always exists, so its own fields are named when missing). */
function objectAt(root: Record<string, unknown>, path: string): Record<string, unknown> {
  let o = root;
  for (const p of path.split('.').slice(0, -1)) {
    if (typeof o[p] !== 'object' || o[p] === null) o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  return o;
}

export function valueAt(o: Record<string, unknown> | undefined, path: string): unknown {
  let cur: unknown = o;
  for (const p of path.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
  return cur;
}

export interface FormState {
  /** Values to show: the stored configuration (redacted) or what was just submitted; secrets are never shown. */
  values: Record<string, unknown>;
  /** Secrets the app has stored, so a blank field keeps them. */
  storedSecrets: Set<string>;
  /** The field the error is about, and the error's element id. */
  invalid?: { path: string; errorId: string };
}

const idOf = (path: string) => `p-${path.replace(/\./g, '-')}`;

function field(f: FieldSpec, s: FormState): Html {
  const id = idOf(f.path);
  const stored = f.secret && s.storedSecrets.has(f.path);
  const hintId = `${id}-hint`;
  const hintText = stored
    ? `A value is stored (never shown). Leave blank to keep it${f.required ? '' : ', or tick the box below to remove it'}.`
    : f.hint;
  const invalid = s.invalid?.path === f.path;
  const describedBy = [hintText ? hintId : '', invalid ? s.invalid!.errorId : ''].filter(Boolean).join(' ');
  const attrs = html`${f.required && !stored ? html` required` : ''}${describedBy ? html` aria-describedby="${describedBy}"` : ''}${invalid ? html` aria-invalid="true"` : ''}`;
  const shown = f.secret ? '' : valueAt(s.values, f.path);
  const text = shown === undefined || shown === null ? '' : String(shown);
  const label = html`<label for="${id}">${f.label}${f.required ? '' : html` <span class="optional">(optional)</span>`}</label>`;
  const hint = hintText ? html`<p class="hint" id="${hintId}">${hintText}</p>` : '';
  if (f.kind === 'checkbox') {
    return html`<div class="check"><input type="checkbox" id="${id}" name="${f.path}" value="on"${shown === true ? html` checked` : ''}${attrs}><label for="${id}">${f.label}</label></div>${hint}`;
  }
  let control: Html;
  if (f.kind === 'select') {
    control = html`<select id="${id}" name="${f.path}"${attrs}><option value="">(default)</option>${(f.options ?? []).map((o) => html`<option${o === text ? html` selected` : ''}>${o}</option>`)}</select>`;
  } else if (f.kind === 'textarea') {
    control = html`<textarea id="${id}" name="${f.path}" rows="${f.secret ? 6 : 3}" spellcheck="false" autocomplete="off"${attrs}>${text}</textarea>`;
  } else {
    const type = f.kind === 'secret' ? 'password' : f.kind === 'number' ? 'number' : 'text';
    control = html`<input id="${id}" name="${f.path}" type="${type}" value="${text}" spellcheck="false" autocomplete="${f.secret ? 'new-password' : 'off'}"${f.kind === 'number' ? html` inputmode="numeric"` : ''}${attrs}>`;
  }
  const clear = stored && !f.required ? html`<div class="check"><input type="checkbox" id="${id}-clear" name="clear" value="${f.path}"><label for="${id}-clear">Remove the stored ${f.label.replace(/ \(.*\)$/, '').toLowerCase()}</label></div>` : '';
  return html`<div class="field">${label}${hint}${control}${clear}</div>`;
}

/** The provider's own fields; a nested object's in a fieldset of its own. */
export function settingsFields(name: ProviderName, s: FormState): Html {
  const out: Html[] = [];
  let group: { legend: string; fields: Html[] } | undefined;
  const flush = () => {
    if (group) out.push(html`<fieldset><legend>${group.legend}</legend>${group.fields}</fieldset>`);
    group = undefined;
  };
  for (const f of fieldsOf(name)) {
    if (f.group && group?.legend !== f.group) {
      flush();
      group = { legend: f.group, fields: [] };
    }
    if (!f.group) flush();
    (group ? group.fields : out).push(field(f, s));
  }
  flush();
  return html`${out}`;
}

/** The stored configuration as label/value pairs for a table (already redacted: secrets read `***`). */
export function settingsSummary(name: ProviderName, config: Record<string, unknown>): { label: string; value: string }[] {
  return fieldsOf(name).flatMap((f) => {
    const v = valueAt(config, f.path);
    if (v === undefined || v === null || v === '') return [];
    const s = String(v);
    return [{ label: f.label.replace(/ \(.*\)$/, ''), value: s.length > 48 ? `${s.slice(0, 45)}…` : s }];
  });
}
