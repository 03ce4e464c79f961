import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../domain/errors.js';

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/** The repository's dashboard/ folder, found upward from here (src/ under tests, dist/src/ when built). */
function dashboardDir(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'dashboard', 'dashboard.css'))) return path.join(dir, 'dashboard');
    dir = path.dirname(dir);
  }
  return undefined;
}

/**
 * The stylesheets and scripts in dashboard/ (every .css and .js there), as written (nothing to build). Read once at start; served with an
 * ETag and `no-cache`, so a browser revalidates cheaply and never keeps an old copy after an upgrade.
 */
export async function assetRoutes(app: FastifyInstance): Promise<void> {
  const root = dashboardDir();
  const files = new Map<string, { body: Buffer; etag: string; type: string }>();
  for (const name of root ? readdirSync(root) : []) {
    const type = TYPES[path.extname(name)];
    if (!type || !root) continue;
    const body = readFileSync(path.join(root, name));
    files.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  app.get('/:name', { schema: { hide: true } }, async (req, reply) => {
    const f = files.get((req.params as { name: string }).name);
    if (!f) throw notFound('not_found', 'no such dashboard file');
    reply.headers({ 'content-type': f.type, etag: f.etag, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    if (req.headers['if-none-match'] === f.etag) return reply.status(304).send();
    return reply.send(f.body);
  });
}
