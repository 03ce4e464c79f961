import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../domain/errors.js';

/**
 * What every request body, query and form is checked for before any route sees it (SPEC §11):
 * nesting deeper than 32 levels (deep values cost every later JSON.stringify and database driver a
 * stack frame per level; 5,000 levels crashed serialisation), and strings or keys with NUL characters
 * or lone UTF-16 surrogates (PostgreSQL refuses NUL in text, and a lone surrogate is not UTF-8 at all,
 * so the same input failed on one database and was stored on the other).
 */

export const MAX_JSON_DEPTH = 32;

// String.prototype.isWellFormed (Node 20's V8 has it; TypeScript's ES2022 lib does not declare it).
const wellFormed = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed();

function badString(s: string): boolean {
  return s.includes('\0') || !wellFormed(s);
}

const fieldPath = (path: readonly (string | number)[]) => path.map(String).join('.') || undefined;

function refuseString(where: string, path: readonly (string | number)[]): never {
  const field = fieldPath(path);
  throw new ApiError(400, 'invalid_request', `${field ?? where} contains a NUL character or an unpaired UTF-16 surrogate`, field);
}

/**
 * Throws the envelope's error for the first problem in a parsed JSON value. Every send body passes here, so
 * the walk allocates nothing per node: one path stack, pushed and popped. Recursion is bounded, since a value
 * deeper than MAX_JSON_DEPTH is refused before its children are visited.
 */
export function checkJsonValue(value: unknown, where: string): void {
  const path: (string | number)[] = [];
  const visit = (v: unknown, depth: number): void => {
    if (typeof v === 'string') {
      if (badString(v)) refuseString(where, path);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    if (depth > MAX_JSON_DEPTH) throw new ApiError(400, 'invalid_json', `${where} is nested deeper than ${MAX_JSON_DEPTH} levels`, fieldPath(path));
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        visit(v[i], depth + 1);
        path.pop();
      }
    } else {
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        path.push(k);
        if (badString(k)) refuseString(where, path);
        visit((v as Record<string, unknown>)[k], depth + 1);
        path.pop();
      }
    }
  };
  visit(value, 1);
}

function checkForm(form: URLSearchParams): void {
  for (const [k, v] of form) if (badString(k) || badString(v)) refuseString('the form', [k]);
}

/** Installs the checks for every route, and the envelope for the router's own refusals. */
export function installInputGuard(app: FastifyInstance): void {
  // A JSON route takes JSON and nothing else: text/plain is not a body Herald reads anywhere (415).
  app.removeContentTypeParser('text/plain');
  app.addHook('preValidation', async (req: FastifyRequest) => {
    if (req.query && typeof req.query === 'object') checkJsonValue(req.query, 'the query');
    const body = req.body;
    if (body === undefined || body === null || Buffer.isBuffer(body)) return;
    if (body instanceof URLSearchParams) checkForm(body);
    else if (typeof body === 'string') {
      if (badString(body)) refuseString('the body', []);
    } else checkJsonValue(body, 'the body');
  });
}

/**
 * Fastify's `frameworkErrors`: the router's own refusals (a path segment longer than the router takes, a
 * malformed URL) in the envelope rather than Fastify's body.
 */
export function frameworkError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const message = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is longer than any id Herald takes (ids are at most 200 characters)' : 'the URL is malformed';
  void reply.status(400).send(new ApiError(400, 'invalid_request', message).toJSON());
}
