import type { FastifyRequest } from 'fastify';
import { ApiError } from '../domain/errors.js';
import type { AppService } from '../services/apps.js';
import type { AppsRow } from '../ports/store.js';
import { RefusedCredentials } from './auth-failures.js';

declare module 'fastify' {
  interface FastifyRequest {
    app?: AppsRow;
  }
}

const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message, undefined, { 'www-authenticate': 'Basic realm="herald"' });
/** Credentials given and wrong: counted by the failed-authentication limit (auth-failures.ts). */
const refused = (message: string) => new RefusedCredentials(message, 'Basic');

/** Server-to-server calls: HTTP Basic `appKey:appSecret`. Sets request.app or throws 401. */
export function basicAuth(apps: AppService) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    if (!header) throw unauthorized('credentials required: HTTP Basic appKey:appSecret');
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!m) throw refused('use HTTP Basic with appKey:appSecret');
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i <= 0) throw refused('use HTTP Basic with appKey:appSecret');
    const app = await apps.authenticate(decoded.slice(0, i), decoded.slice(i + 1));
    if (!app) throw refused('unknown app key or wrong secret');
    request.app = app;
  };
}

/** The authenticated app; routes behind basicAuth always have one. */
export function appOf(request: FastifyRequest): AppsRow {
  if (!request.app) throw unauthorized('credentials required');
  return request.app;
}
