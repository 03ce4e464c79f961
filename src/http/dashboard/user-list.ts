import type { UsersRow } from '../../ports/store.js';
import type { navFor } from './context.js';
import { enc, html, layout, time } from './html.js';

export const USERS_PAGE = 50;
const ID = /^[A-Za-z0-9._:@+-]{1,200}$/;

export interface UserQuery {
  /** The id, or how it starts; empty lists every user. */
  q: string;
  /** The last id of the previous page. */
  after: string;
  error?: string;
}

export function readUserQuery(query: Record<string, unknown>): UserQuery {
  const s = (k: string) => (typeof query[k] === 'string' ? (query[k] as string).trim() : '');
  const q = s('q');
  const after = s('after');
  if (q && !ID.test(q)) return { q, after: '', error: 'A user id is 1–200 characters of A–Z a–z 0–9 . _ : @ + -' };
  // A cursor that is no id cannot come from our own links: start from the first page.
  return { q, after: ID.test(after) ? after : '' };
}

const href = (q: string, after: string) => {
  const p = new URLSearchParams();
  if (q) p.set('q', q);
  if (after) p.set('after', after);
  const s = p.toString();
  return `/dashboard/users${s ? `?${s}` : ''}`;
};

/** `rows` holds one more than a page when there is a next page. */
export function userListPage(nav: ReturnType<typeof navFor>, uq: UserQuery, rows: UsersRow[] | undefined): string {
  const shown = rows?.slice(0, USERS_PAGE);
  const more = !!rows && rows.length > USERS_PAGE;
  const table = shown?.length
    ? html`<div class="table-wrap"><table>
<caption class="visually-hidden">Users${uq.q ? ` whose id starts with ${uq.q}` : ''}, by id</caption>
<thead><tr><th scope="col">User id</th><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Phone</th><th scope="col">Updated</th></tr></thead>
<tbody>${shown.map(
        (u) =>
          html`<tr><td><a href="/dashboard/users/${enc(u.id)}" class="mono">${u.id}</a>${u.id === uq.q ? html` <span class="status">exact match</span>` : ''}</td><td>${u.name ?? '—'}</td><td>${u.email ?? '—'}</td><td>${u.phone ?? '—'}</td><td>${time(u.updated_at)}</td></tr>`,
      )}</tbody>
</table></div>`
    : shown
      ? html`<p>${uq.q ? html`No user id starts with <span class="mono">${uq.q}</span>.` : 'This app has no users yet: they are created with PUT /v1/users/{id}.'}</p>`
      : html``;
  const links = [uq.after ? html`<a href="${href(uq.q, '')}">First page</a>` : '', more && shown ? html`<a href="${href(uq.q, shown[shown.length - 1].id)}">Next users</a>` : ''].filter(Boolean);
  return layout({
    title: `${uq.error ? 'Error: ' : ''}Users`,
    nav,
    styles: ['users.css'],
    body: html`<h1>Users</h1>
<form method="get" action="/dashboard/users" class="filters" role="search" aria-label="Find users">
<div class="field"><label for="users-q">User id, or how it starts</label><input id="users-q" name="q" value="${uq.q}" maxlength="200" autocapitalize="off" spellcheck="false" aria-describedby="users-q-hint${uq.error ? ' users-q-error' : ''}"${uq.error ? html` aria-invalid="true" autofocus` : ''}><span class="hint" id="users-q-hint">The id your app gave the user; matching is case-sensitive.</span></div>
<div class="actions"><button type="submit">Find</button> <a href="/dashboard/users">All users</a></div>
</form>
${uq.error ? html`<p class="notice error" role="alert" id="users-q-error">${uq.error}</p>` : ''}
<h2 class="visually-hidden">Results</h2>
${table}
${links.length ? html`<nav aria-label="Pages" class="pager">${links}</nav>` : ''}`,
  });
}
