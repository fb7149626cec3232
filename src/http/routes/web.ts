// The Manage API Tokens page: the built React app (web/dist) at `/`, with index.html for any other
// GET that is not an API path (app.ts answers those), so the page's own routes survive a reload.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

function findWebDist(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'web', 'dist');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    dir = dirname(dir);
  }
  return null;
}

export const webRoutes = () => async (app: FastifyInstance) => {
  const root = findWebDist();
  if (!root) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/plain').send('The page is not built: run `npm run build`. The API is under /apis/v1.'),
    );
    return;
  }
  await app.register(fastifyStatic, { root, wildcard: false, index: ['index.html'] });
  app.get('/*', { schema: { hide: true } }, async (_request, reply) => reply.sendFile('index.html'));
};
