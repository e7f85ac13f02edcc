import { createServer } from 'node:net';

/**
 * A TCP port on loopback that was free a moment ago, for a test's rendezvous. Another process may take it before
 * the test binds it; on this project's test machines nothing else competes for ports.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
