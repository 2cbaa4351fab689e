// Whether a process id names a running process: what pid-file locks (the data dir's switchyard.pid, a
// Python environment's install lock) ask before taking over a lock whose holder may be gone.

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
