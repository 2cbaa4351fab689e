// No orphans: when this process exits, every child still running gets
// SIGKILL. 'exit' handlers must be synchronous, so there is no grace period
// here; a graceful shutdown calls Supervisor.stopAll() before exiting.
// Signals that end node without running 'exit' handlers (a SIGTERM with no
// listener) are the server's to turn into stopAll() and process.exit().
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let installed = false;

function killAll(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

export function trackChild(child: ChildProcess): void {
  if (!installed) {
    process.on('exit', killAll);
    installed = true;
  }
  live.add(child);
}

export function untrackChild(child: ChildProcess): void {
  live.delete(child);
}
