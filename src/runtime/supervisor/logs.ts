// Container logs: stdout and stderr of a replica, appended to
// `<dir>/<pod>.log` and rotated kubelet style (`.log.1` is the newest old
// file), read back oldest first for `kubectl logs [--tail N] [-f]`.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { sleep } from '../../core/sleep.ts';

export interface RotationPolicy {
  /** Rotate when the current file would grow past this (kubelet: 10 MiB). */
  maxBytes: number;
  /** Files kept in all, the current one included (kubelet: 5). */
  maxFiles: number;
}

export const DEFAULT_ROTATION: RotationPolicy = { maxBytes: 10 * 1024 * 1024, maxFiles: 5 };

export class RotatingLog {
  private fd: number;
  private size: number;
  /** Output that could not be written (disk full, I/O error): bytes, and why. Told in the log once writing works again. */
  private lost = { bytes: 0, reason: '' };
  private atLineStart = true;

  constructor(readonly path: string, private readonly policy: RotationPolicy = DEFAULT_ROTATION) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
    this.size = fstatSync(this.fd).size;
  }

  /**
   * Synchronous on purpose: output of several pipes stays in arrival order. Never throws: a log that
   * cannot be written (its disk is full) loses output, counted, and the replica goes on serving.
   */
  write(chunk: Buffer | string): void {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    try {
      if (this.lost.bytes > 0) {
        this.writeRotating(Buffer.from(`${this.atLineStart ? '' : '\n'}[switchyard] up to ${this.lost.bytes} bytes of this container's output were lost: ${this.lost.reason}\n`));
        this.lost = { bytes: 0, reason: '' };
      }
      this.writeRotating(data);
    } catch (err) {
      // Part of the chunk may have made it before the refusal: the count is an upper bound.
      this.lost.bytes += data.length;
      this.lost.reason = (err as Error).message;
    }
  }

  private writeRotating(chunk: Buffer): void {
    let data = chunk;
    if (this.fd < 0) this.reopen();
    while (data.length > 0) {
      const room = this.policy.maxBytes - this.size;
      if (data.length <= room) {
        this.append(data);
        return;
      }
      // Rotate on a line boundary, so no line is split across files.
      let cut = room > 0 ? data.lastIndexOf(0x0a, room - 1) + 1 : 0;
      if (cut === 0 && this.size > 0) {
        this.rotate();
        continue;
      }
      if (cut === 0) cut = data.indexOf(0x0a) + 1 || data.length; // one line longer than a file
      this.append(data.subarray(0, cut));
      data = data.subarray(cut);
    }
  }

  private append(data: Buffer): void {
    // A full disk may take part of a write before it refuses the rest.
    for (let off = 0; off < data.length;) {
      const n = writeSync(this.fd, data, off);
      off += n;
      this.size += n;
      if (n > 0) this.atLineStart = data[off - 1] === 0x0a;
    }
  }

  private reopen(): void {
    this.fd = openSync(this.path, 'a');
    this.size = fstatSync(this.fd).size;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private rotate(): void {
    closeSync(this.fd);
    this.fd = -1;
    const keep = Math.max(0, this.policy.maxFiles - 1);
    rmSync(`${this.path}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    }
    if (keep > 0) renameSync(this.path, `${this.path}.1`);
    else rmSync(this.path, { force: true });
    this.reopen();
  }
}

/** The log files of one pod, oldest first. */
export function logFiles(path: string): string[] {
  const rotated: string[] = [];
  for (let i = 1; existsSync(`${path}.${i}`); i++) rotated.unshift(`${path}.${i}`);
  return existsSync(path) ? [...rotated, path] : rotated;
}

export interface ReadLogOptions {
  /** Only the last N lines (before following). */
  tailLines?: number;
  /** Keep reading new lines until the signal aborts or `alive()` turns false. */
  follow?: boolean;
  signal?: AbortSignal;
  /** For follow: whether the writer may still append. */
  alive?: () => boolean;
  pollMs?: number;
}

function readAll(path: string): { text: string; end: number } {
  const fd = openSync(path, 'r');
  try {
    return readFrom(fd, 0);
  } finally {
    closeSync(fd);
  }
}

function readFrom(fd: number, fromByte: number): { text: string; end: number } {
  const size = fstatSync(fd).size;
  if (size <= fromByte) return { text: '', end: fromByte };
  const buf = Buffer.alloc(size - fromByte);
  const n = readSync(fd, buf, 0, buf.length, fromByte);
  return { text: buf.subarray(0, n).toString('utf8'), end: fromByte + n };
}

/** The last `n` lines (all when n is undefined). */
function lastLines(lines: string[], n: number | undefined): string[] {
  return n === undefined ? lines : n <= 0 ? [] : lines.slice(-n);
}

/** Lines of the pod's log, without their newline. */
export async function* readLogLines(path: string, opts: ReadLogOptions = {}): AsyncGenerator<string> {
  // Snapshot the current file by descriptor: if it is rotated while we follow,
  // the descriptor still points at the renamed file, so no line is lost.
  let fd = existsSync(path) ? openSync(path, 'r') : -1;
  try {
    let text = '';
    let offset = 0;
    if (fd >= 0) {
      const cur = readFrom(fd, 0);
      text = cur.text;
      offset = cur.end;
    }
    // Older files newest first, stopping once enough lines are in hand for --tail.
    const older = logFiles(path).filter((f) => f !== path);
    for (let i = older.length - 1; i >= 0; i--) {
      if (opts.tailLines !== undefined && text.split('\n').length > opts.tailLines + 1) break;
      text = readAll(older[i]!).text + text;
    }
    let pending = '';
    const cut = text.endsWith('\n') ? text.length : text.lastIndexOf('\n') + 1;
    if (opts.follow) pending = text.slice(cut); // a partial line waits for its end
    const complete = opts.follow ? text.slice(0, cut) : text;
    const lines = complete === '' ? [] : complete.replace(/\n$/, '').split('\n');
    for (const line of lastLines(lines, opts.tailLines)) yield line;
    if (!opts.follow) return;

    const alive = opts.alive ?? (() => true);
    while (!opts.signal?.aborted) {
      const stillAlive = alive();
      if (fd < 0 && existsSync(path)) fd = openSync(path, 'r');
      if (fd >= 0) {
        const more = readFrom(fd, offset);
        offset = more.end;
        pending += more.text;
        // Rotated: finish the old descriptor (done above), move to the new file.
        if (existsSync(path) && statSync(path).ino !== fstatSync(fd).ino) {
          closeSync(fd);
          fd = openSync(path, 'r');
          offset = 0;
          continue;
        }
      }
      const end = pending.lastIndexOf('\n');
      if (end >= 0) {
        for (const line of pending.slice(0, end).split('\n')) yield line;
        pending = pending.slice(end + 1);
      }
      if (!stillAlive) break;
      await sleep(opts.pollMs ?? 200, opts.signal);
    }
    if (pending !== '' && !opts.signal?.aborted) yield pending;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
