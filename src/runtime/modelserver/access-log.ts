// One access-log line per request. Lines are gathered and written to stdout
// once per event-loop turn: one write syscall per burst, not per request.
export type LogSink = (line: string) => void;

export interface AccessLog {
  request(requestId: string, method: string, path: string, status: number, latencyMs: number): void;
  flush(): void;
}

export function accessLogLine(time: Date, requestId: string, method: string, path: string, status: number, latencyMs: number): string {
  return `${time.toISOString()} ${requestId} ${method} ${path} ${status} ${latencyMs.toFixed(2)}ms`;
}

export function createAccessLog(sink?: LogSink): AccessLog {
  if (sink) {
    return {
      request: (id, method, path, status, ms) => sink(accessLogLine(new Date(), id, method, path, status, ms)),
      flush: () => {},
    };
  }
  let pending = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending === '') return;
    const chunk = pending;
    pending = '';
    process.stdout.write(chunk);
  };
  return {
    request(id, method, path, status, ms) {
      pending += accessLogLine(new Date(), id, method, path, status, ms) + '\n';
      if (pending.length > 65536) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
