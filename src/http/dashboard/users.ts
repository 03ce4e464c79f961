import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import type { UsersRow } from '../../ports/store.js';
import { putPreferences, putUser } from '../routes/users.js';
import { HIDDEN, formOf, navFor, seeOther, sendPage, signedIn, type DashCtx } from './context.js';
import { enc } from './html.js';
import { RECENT_SHOWN, userNotFoundPage, userPage, type FormStates, type UserView } from './user-detail.js';
import { contactBody, preferencesBody, readContactForm, readPreferencesForm, readTestForm, testSendRequest, type FormError } from './user-forms.js';
import { USERS_PAGE, readUserQuery, userListPage } from './user-list.js';

const ID = /^[A-Za-z0-9._:@+-]{1,200}$/;
const SAVED = ['contacts', 'preferences'] as const;

/** A refusal by the service (a 4xx ApiError) becomes the form's error; anything else is a server error. */
async function refusalOf(write: () => Promise<unknown>): Promise<FormError | undefined> {
  try {
    await write();
    return undefined;
  } catch (err) {
    if (err instanceof ApiError && err.status < 500) return { field: err.field, message: sentence(err.message) };
    throw err;
  }
}

const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? '' : '.');

/**
 * The Users page (SPEC §8): `GET /dashboard/users` finds users by id or id prefix; `GET /dashboard/users/{id}`
 * shows one user's contacts, devices, preferences, topics and latest notifications, with forms that save
 * contacts and preferences and send a test through what the /v1 routes call (putUser, putPreferences,
 * the send service). Everything is read and written for the signed-in app only: another app's user is a 404.
 */
export async function userPageRoutes(app: FastifyInstance, ctx: DashCtx): Promise<void> {
  const { store, send } = ctx.deps;

  /** Everything the page shows besides the user row; read only when a page is rendered, not before a redirect. */
  async function viewOf(appId: string, user: UsersRow): Promise<UserView> {
    const [devices, topics, recent] = await Promise.all([
      store.devices.listForUser(appId, user.id),
      store.topics.listForUser(appId, user.id),
      store.notifications.list(appId, { userId: user.id, limit: RECENT_SHOWN }),
    ]);
    return { user, devices, topics, recent };
  }

  /** The user of `/users/:id…` in the signed-in app; otherwise a 404 page is sent and undefined answered. */
  async function userOr404(req: FastifyRequest, reply: FastifyReply): Promise<UsersRow | undefined> {
    const id = String((req.params as { id: string }).id);
    const user = ID.test(id) ? await store.users.get(signedIn(req).app.id, id) : undefined;
    if (!user) sendPage(reply, userNotFoundPage(navFor(req, ctx, 'users'), id), { status: 404 });
    return user;
  }

  /** The page again, with the refused form as it was typed. */
  const refused = async (req: FastifyRequest, reply: FastifyReply, user: UsersRow, states: FormStates) =>
    sendPage(reply, userPage(navFor(req, ctx, 'users'), await viewOf(signedIn(req).app.id, user), states), { status: 400 });

  app.get('/users', HIDDEN, async (req, reply) => {
    const uq = readUserQuery((req.query ?? {}) as Record<string, unknown>);
    const rows = uq.error ? undefined : await store.users.list(signedIn(req).app.id, { prefix: uq.q || undefined, after: uq.after || undefined, limit: USERS_PAGE + 1 });
    return sendPage(reply, userListPage(navFor(req, ctx, 'users'), uq, rows), { status: uq.error ? 400 : 200 });
  });

  app.get('/users/:id', HIDDEN, async (req, reply) => {
    const user = await userOr404(req, reply);
    if (!user) return reply;
    const saved = SAVED.find((s) => s === (req.query as Record<string, unknown> | undefined)?.saved);
    return sendPage(reply, userPage(navFor(req, ctx, 'users'), await viewOf(signedIn(req).app.id, user), { saved }));
  });

  app.post('/users/:id/contacts', HIDDEN, async (req, reply) => {
    const user = await userOr404(req, reply);
    if (!user) return reply;
    const form = readContactForm(formOf(req));
    const built = contactBody(form);
    let gone = false;
    const save = async () => {
      try {
        await putUser(ctx.deps, signedIn(req).app.id, user.id, built.body!, { existingOnly: true });
      } catch (err) {
        // Erased between the read and the write: nothing was saved, and the user is not brought back.
        if (!(err instanceof ApiError && err.code === 'unknown_user')) throw err;
        gone = true;
      }
    };
    const error = built.error ?? (await refusalOf(save));
    if (error) return refused(req, reply, user, { contacts: { form, error } });
    if (gone) return sendPage(reply, userNotFoundPage(navFor(req, ctx, 'users'), user.id), { status: 404 });
    return seeOther(reply, `/dashboard/users/${enc(user.id)}?saved=contacts#contacts`);
  });

  app.post('/users/:id/preferences', HIDDEN, async (req, reply) => {
    const user = await userOr404(req, reply);
    if (!user) return reply;
    const form = readPreferencesForm(formOf(req));
    const built = preferencesBody(form);
    let stored = true;
    const error = built.error ?? (await refusalOf(async () => (stored = await putPreferences(ctx.deps, signedIn(req).app.id, user.id, built.body!))));
    if (error) return refused(req, reply, user, { preferences: { form, error } });
    // Erased between the read and the write: nothing was saved.
    if (!stored) return sendPage(reply, userNotFoundPage(navFor(req, ctx, 'users'), user.id), { status: 404 });
    return seeOther(reply, `/dashboard/users/${enc(user.id)}?saved=preferences#preferences`);
  });

  app.post('/users/:id/test', HIDDEN, async (req, reply) => {
    const user = await userOr404(req, reply);
    if (!user) return reply;
    const s = signedIn(req);
    const form = readTestForm(formOf(req));
    const built = testSendRequest(user.id, form);
    const r = built.req ? await send.send({ id: s.app.id, name: s.app.name }, built.req) : undefined;
    if (r?.ok) return seeOther(reply, `/dashboard/notifications/${enc(r.body.id)}`);
    if (r && r.error.status >= 500) throw r.error;
    const error: FormError = built.error ?? { field: r?.error.field, message: sentence(r?.error.message ?? 'The test could not be sent') };
    return refused(req, reply, user, { test: { form, error } });
  });
}
