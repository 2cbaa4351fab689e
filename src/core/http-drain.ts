// Graceful close of a listener, as Envoy's drain does it: stop listening
// (new connections are refused by the kernel), answer the requests in flight
// and any that come on open connections with `Connection: close`, wait for
// them up to a bound, then close every connection. It also keeps the listener's ledger — requests accepted (the
// handler ran) and answered (the response was finished) — so a shutdown can
// say whether every request it took was answered.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import { sleep } from './sleep.ts';

export interface DrainReport {
  /** Requests accepted since the listener started. */
  accepted: number;
  /** Of them, answered: the response was finished (handed whole to the connection). */
  answered: number;
  /** Requests in flight when the drain began. */
  inFlight: number;
  /** Requests still in flight at the bound, whose connections were closed. */
  cutOff: number;
  /** How long the drain took. */
  ms: number;
}

export interface Drain {
  /** Requests in flight now. */
  readonly open: number;
  /** Stops accepting, waits up to boundMs for the requests in flight, closes every connection. Idempotent. */
  close(boundMs: number): Promise<DrainReport>;
}

/** Tracks the server's requests from now on; call before it listens. */
export function drainable(server: Server): Drain {
  let accepted = 0;
  let answered = 0;
  const open = new Set<ServerResponse>();
  let draining = false;
  let idle: (() => void) | undefined;
  let closing: Promise<DrainReport> | undefined;

  // One listener for every response (no closure per request): `this` is the response.
  function responseClosed(this: ServerResponse): void {
    open.delete(this);
    if (this.writableFinished) answered++;
    if (draining && open.size === 0) idle?.();
  }
  const track = (_req: IncomingMessage, res: ServerResponse): void => {
    accepted++;
    open.add(res);
    if (draining) res.shouldKeepAlive = false;
    res.once('close', responseClosed);
  };
  // Before the listener's own handler, so the header decision is made before anything is written.
  server.prependListener('request', track);
  server.prependListener('checkContinue', track);

  return {
    get open() {
      return open.size;
    },
    close(boundMs) {
      closing ??= (async () => {
        const started = performance.now();
        const inFlight = open.size;
        draining = true;
        // Node then sends `Connection: close` and ends the connection after the response,
        // so no client sends another request on it.
        for (const res of open) if (!res.headersSent) res.shouldKeepAlive = false;
        // Only the listening socket: http.Server#close would also close the idle kept-alive connections
        // at once, losing requests their clients have just sent on them (unread in the socket yet). They
        // stay open until the drain ends, and a request that comes on one is answered with `Connection: close`.
        const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
        if (open.size > 0) {
          const bound = new AbortController();
          await Promise.race([new Promise<void>((resolve) => (idle = resolve)), sleep(boundMs, bound.signal)]);
          bound.abort();
        }
        const cutOff = open.size;
        server.closeAllConnections();
        await closed;
        // Now http.Server's part of closing: it stops checking the deadlines of connections.
        server.close(() => undefined);
        return { accepted, answered, inFlight, cutOff, ms: performance.now() - started };
      })();
      return closing;
    },
  };
}
