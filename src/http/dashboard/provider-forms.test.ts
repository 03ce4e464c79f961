import { describe, expect, it } from 'vitest';
import { PROVIDERS } from '../../channels/registry.js';
import type { ProviderName } from '../../domain/delivery.js';
import { bodyFromForm, fieldsOf, settingsFields } from './provider-forms.js';

describe('provider settings forms', () => {
  it('has a labelled field for every setting of every provider, secrets marked', () => {
    for (const name of Object.keys(PROVIDERS) as ProviderName[]) {
      const fields = fieldsOf(name);
      for (const secret of PROVIDERS[name].secrets) expect(fields.find((f) => f.path === secret)?.secret, `${name} ${secret}`).toBe(true);
      for (const f of fields) expect(f.label, `${name} ${f.path}`).not.toMatch(/_/);
    }
    expect(fieldsOf('fcm').filter((f) => f.group).map((f) => f.path)).toEqual([
      'service_account.project_id',
      'service_account.client_email',
      'service_account.private_key',
      'service_account.private_key_id',
      'service_account.token_uri',
    ]);
    expect(fieldsOf('apns').find((f) => f.path === 'private_key')?.kind).toBe('textarea');
    expect(fieldsOf('smtp').find((f) => f.path === 'port')?.kind).toBe('number');
    expect(fieldsOf('vonage').find((f) => f.path === 'signature_method')?.options).toContain('sha256');
  });

  it('turns a form into the PUT body: nested sections, numbers, booleans, blanks left out', () => {
    const form = new URLSearchParams({
      'service_account.project_id': ' p1 ',
      'service_account.client_email': 'a@p1.iam.example',
      'service_account.private_key': '',
      endpoint: '',
      priority: '5',
      enabled: 'on',
      csrf: 'x',
    });
    expect(bodyFromForm('fcm', form)).toEqual({ body: { service_account: { project_id: 'p1', client_email: 'a@p1.iam.example' }, priority: 5, enabled: true }, clear: [] });
    const smtp = bodyFromForm('smtp', new URLSearchParams({ host: 'h', port: 'twenty', from: 'f@example.com', priority: 'first' }));
    expect(smtp.body).toEqual({ host: 'h', port: 'twenty', secure: false, from: 'f@example.com', priority: 'first', enabled: false });
    // Only the provider's own secrets can be cleared.
    const vonage = new URLSearchParams([['clear', 'signature_secret'], ['clear', 'api_key']]);
    expect(bodyFromForm('vonage', vonage).clear).toEqual(['signature_secret']);
  });

  it('never writes a secret into the form, and escapes what it shows', () => {
    const out = String(
      settingsFields('vonage', {
        values: { api_key: '<b>k</b>', api_secret: 'hunter2', signature_secret: 'also-secret', from: 'Herald' },
        storedSecrets: new Set(['api_secret', 'signature_secret']),
      }),
    );
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('also-secret');
    expect(out).toContain('value="&lt;b&gt;k&lt;/b&gt;"');
    expect(out).toContain('Leave blank to keep it.');
    expect(out).toContain('name="clear" value="signature_secret"');
    // A required secret that is stored is no longer required in the form; the optional one can be removed.
    expect(out).toMatch(/<input id="p-api_secret" name="api_secret" type="password" value=""[^>]*>/);
    expect(out).not.toMatch(/<input id="p-api_secret"[^>]* required/);
  });
});
