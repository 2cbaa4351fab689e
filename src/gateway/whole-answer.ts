// One upstream exchange read whole, through the gateway's HTTP/1.1 client:
// for callers that need the answer as a value (InferenceGraph steps), not
// streamed into a client response.
import type { Upstream, UpstreamHandler, UpstreamRequest } from './h1/types.ts';

export interface WholeAnswer {
  status: number;
  body: Buffer;
  contentType: string | undefined;
}

class Collector implements UpstreamHandler {
  private status = 0;
  private contentType: string | undefined = undefined;
  private readonly chunks: Buffer[] = [];
  private abortFn: ((err?: Error) => void) | null = null;
  private done = false;

  constructor(private readonly resolve: (a: WholeAnswer) => void, private readonly reject: (e: Error) => void) {}

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.done) abort(new Error('the request was aborted'));
  }

  onHeaders(status: number, raw: string[]): boolean {
    this.status = status;
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'content-type') this.contentType = raw[i + 1];
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.done) return;
    this.done = true;
    this.resolve({ status: this.status, body: Buffer.concat(this.chunks), contentType: this.contentType });
  }

  onError(err: Error): void {
    if (this.done) return;
    this.done = true;
    this.reject(err);
  }

  abort(err: Error): void {
    if (this.abortFn) this.abortFn(err);
    else this.onError(err);
  }
}

/** Sends the request and resolves with the whole answer; `signal` aborts it (rejecting with the signal's reason). */
export function requestWhole(upstream: Upstream, req: UpstreamRequest, signal?: AbortSignal): Promise<WholeAnswer> {
  if (!signal) return new Promise((resolve, reject) => upstream.dispatch(req, new Collector(resolve, reject)));
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const onAbort = () => c.abort(signal.reason as Error);
    const c = new Collector(
      (a) => (signal.removeEventListener('abort', onAbort), resolve(a)),
      (e) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
    signal.addEventListener('abort', onAbort, { once: true });
    upstream.dispatch(req, c);
  });
}
