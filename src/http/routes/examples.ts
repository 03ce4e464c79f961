import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../domain/errors.js';

/** The repository's examples/ folder, found upward from here (src/ under tests, dist/src/ when built). */
function examplesDir(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'examples', 'web-push', 'index.html'))) return path.join(dir, 'examples');
    dir = path.dirname(dir);
  }
  return undefined;
}

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'sw.js': 'text/javascript; charset=utf-8',
};

/** Serves examples/web-push from Herald's own origin, so its page and service worker can call /v1/me without CORS. */
export async function exampleRoutes(app: FastifyInstance): Promise<void> {
  const root = examplesDir();
  if (!root) return;
  app.get('/examples/web-push/*', { schema: { hide: true } }, async (req, reply) => {
    const name = (req.params as { '*': string })['*'] || 'index.html';
    const type = FILES[name];
    if (!type) throw notFound('not_found', 'no such example file');
    return reply.type(type).header('cache-control', 'no-store').send(readFileSync(path.join(root, 'web-push', name)));
  });
}
