import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A stand-in for Herald's /hooks routes in receipt tests: records what the emulators post. */
export interface CapturedHook {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export async function startHookServer(): Promise<{
  url: string;
  hooks: CapturedHook[];
  next(): Promise<CapturedHook>;
  close(): Promise<void>;
}> {
  const hooks: CapturedHook[] = [];
  const waiters: Array<(h: CapturedHook) => void> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hook = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      hooks.push(hook);
      waiters.shift()?.(hook);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let seen = 0;
  return {
    url: `http://127.0.0.1:${port}`,
    hooks,
    next: () =>
      new Promise((resolve) => {
        if (hooks.length > seen) resolve(hooks[seen++]);
        else
          waiters.push((h) => {
            seen++;
            resolve(h);
          });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
