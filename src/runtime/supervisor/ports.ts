// Free loopback ports. Binding port 0 and releasing it leaves a window in
// which another process may take the port; the replica notices EADDRINUSE in
// its child's output and picks again (see replica.ts).
import { createServer } from 'node:net';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Substitute `{{.Port}}` (KServe-style placeholder) in every argument. */
export function withPort(values: string[], port: number): string[] {
  return values.map((v) => v.replaceAll('{{.Port}}', String(port)));
}
