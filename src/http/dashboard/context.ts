import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import type { AppsRow } from '../../ports/store.js';
import type { HttpDeps } from '../deps.js';
import { pageHeaders, type NavState } from './html.js';
import { SESSION_COOKIE, readCookies, type DashboardSessions, type Session } from './session.js';
import type { LiveSampler } from './sampler.js';

/** What every dashboard page module gets. */
export interface DashCtx {
  deps: HttpDeps;
  sessions: DashboardSessions;
  sampler: LiveSampler;
}

export interface SignedIn {
  app: AppsRow;
  session: Session;
  csrf: string;
  /** Some of this app's channels go to the sandbox emulators (decided per app, SandboxFallbackSource). */
  sandbox: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    dashboard?: SignedIn;
  }
}

/** Dashboard routes are not part of the API's OpenAPI document. */
export const HIDDEN = { schema: { hide: true } } as const;

/** The signed-in app, or undefined: a valid, unexpired cookie for an app that still exists with the same secret. */
export async function sessionOf(req: FastifyRequest, ctx: DashCtx): Promise<SignedIn | undefined> {
  const session = ctx.sessions.verify(readCookies(req.headers.cookie).get(SESSION_COOKIE), ctx.deps.clock.now());
  if (!session) return undefined;
  const app = await ctx.deps.store.apps.findById(session.appId);
  if (!app || !ctx.sessions.boundTo(session, app.secret_hash)) return undefined;
  const sandbox = !!(ctx.deps.sandbox && ctx.deps.outbox) && (await ctx.deps.providers.sandboxChannels(app.id)).length > 0;
  return { app, session, csrf: ctx.sessions.csrfToken(session), sandbox };
}

/** Routes behind the guard always have a signed-in app. */
export function signedIn(req: FastifyRequest): SignedIn {
  if (!req.dashboard) throw new ApiError(401, 'unauthorized', 'sign in to the dashboard');
  return req.dashboard;
}

export function navFor(req: FastifyRequest, ctx: DashCtx, current: NavState['current']): NavState {
  const s = signedIn(req);
  return { appName: s.app.name, csrf: s.csrf, sandbox: s.sandbox, current };
}

/** The form's fields (an empty set when the body was not a urlencoded form). */
export function formOf(req: FastifyRequest): URLSearchParams {
  return req.body instanceof URLSearchParams ? req.body : new URLSearchParams();
}

/** Whether the browser reached Herald over https (directly or through a proxy that says so): the cookie is then Secure. */
export function isHttps(req: FastifyRequest): boolean {
  const forwarded = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return req.protocol === 'https' || first === 'https';
}

export function sendPage(reply: FastifyReply, page: string, opts: { status?: number; inlineStyles?: boolean } = {}): FastifyReply {
  return reply
    .status(opts.status ?? 200)
    .headers(pageHeaders({ inlineStyles: opts.inlineStyles }))
    .send(page);
}

/** 303 See Other: after a form, the browser GETs the result (reload does not post again). */
export function seeOther(reply: FastifyReply, location: string): FastifyReply {
  return reply.status(303).header('location', location).header('cache-control', 'no-store').send();
}

export const isApi = (req: FastifyRequest) => req.url.startsWith('/dashboard/api/');
