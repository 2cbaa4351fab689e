// What the fault battery asks of the machine: which processes are alive, a
// process tree, whether a port accepts connections, and the figure line a
// test prints (and records for docs/reliability.md).
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped by its parent) is gone as far as anyone can tell.
  try {
    return !/^Z/.test(execFileSync('ps', ['-o', 'stat=', '-p', String(pid)]).toString().trim());
  } catch {
    return false;
  }
}

interface Proc {
  pid: number;
  ppid: number;
  args: string;
}

function table(): Proc[] {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,args=']).toString().split('\n').filter((l) => l.trim()).map((l) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)!;
    return { pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! };
  });
}

/** `root` and every process below it, with their command lines. */
export function processTree(root: number): Proc[] {
  const all = table();
  const out = all.filter((p) => p.pid === root);
  for (let i = 0; i < out.length; i++) out.push(...all.filter((p) => p.ppid === out[i]!.pid));
  return out;
}

/** Processes (other than this one) whose command line mentions `text`, e.g. a data dir. */
export function processesMentioning(text: string): Proc[] {
  return table().filter((p) => p.pid !== process.pid && p.args.includes(text) && !p.args.startsWith('ps '));
}

/** One TCP connection attempt: 'accepted' (then closed by us), or the error's code (ECONNREFUSED, …). */
export function tryConnect(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (outcome: string): void => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => done('timeout'));
    socket.once('connect', () => done('accepted'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/** The figure a fault test measured: printed as a test diagnostic and on stdout, prefixed so a run can be grepped for it. */
export function figure(t: { diagnostic(message: string): void }, line: string): void {
  t.diagnostic(line);
  console.log(`FIGURE ${line}`);
}
