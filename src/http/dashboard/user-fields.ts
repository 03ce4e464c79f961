import { html, type Html } from './html.js';
import type { FormError } from './user-forms.js';

/**
 * Form controls for the Users page. A refused form marks its control: aria-invalid, described by the
 * message, and focused on load (`autofocus` needs no script), so keyboard and screen-reader users land on it.
 */
export function errorNotice(id: string, error: FormError | undefined): Html {
  return error ? html`<p class="notice error" role="alert" id="${id}">${error.message}</p>` : html``;
}

export interface FieldOpts {
  type?: string;
  hint?: string;
  /** Ids of further descriptions (e.g. a fieldset's hint). */
  describedBy?: string;
  attrs?: Html;
  /** The form's refusal, and the id of its message. */
  error?: FormError;
  errorId?: string;
}

/** `prefix` keeps ids unique across the page's forms. */
export function textField(prefix: string, name: string, label: string, value: string, o: FieldOpts = {}): Html {
  const id = `${prefix}-${name}`;
  const invalid = o.error?.field === name;
  const describedBy = [o.hint ? `${id}-hint` : '', o.describedBy ?? '', invalid && o.errorId ? o.errorId : ''].filter(Boolean).join(' ');
  return html`<div class="field"><label for="${id}">${label}</label><input id="${id}" name="${name}" type="${o.type ?? 'text'}" value="${value}"${
    describedBy ? html` aria-describedby="${describedBy}"` : ''
  }${invalid ? html` aria-invalid="true" autofocus` : ''}${o.attrs ?? html``}>${o.hint ? html`<span class="hint" id="${id}-hint">${o.hint}</span>` : ''}</div>`;
}

export function checkbox(id: string, name: string, value: string, label: Html | string, checked: boolean, attrs: Html = html``): Html {
  return html`<label class="check" for="${id}"><input type="checkbox" id="${id}" name="${name}" value="${value}"${checked ? html` checked` : ''}${attrs}> ${label}</label>`;
}

export function radio(id: string, name: string, value: string, label: string, checked: boolean): Html {
  return html`<label class="check" for="${id}"><input type="radio" id="${id}" name="${name}" value="${value}"${checked ? html` checked` : ''}> ${label}</label>`;
}
