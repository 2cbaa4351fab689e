// Misbehaving HTTP clients on raw loopback sockets, for the limit tests of the
// gateway and the API server: a head that never ends, a body larger than
// allowed (measuring how much of it the server took), silent connections.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface RawAnswer {
  /** 0 when the server closed without answering. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Body bytes the server's kernel accepted from us (the write callbacks that fired). */
  flushed: number;
  /** From the first byte written to the connection's close. */
  closedAfterMs: number;
}

export interface Target {
  port: number;
  /** Connect with TLS trusting this CA (the API server of `switchyard up`). */
  ca?: string;
}

function open(t: Target): Socket {
  return t.ca ? tlsConnect({ host: '127.0.0.1', port: t.port, ca: t.ca, servername: 'localhost' }) : connect(t.port, '127.0.0.1');
}

function parseAnswer(raw: string): Pick<RawAnswer, 'status' | 'headers' | 'body'> {
  const end = raw.indexOf('\r\n\r\n');
  if (!raw.startsWith('HTTP/1.1 ') || end < 0) return { status: 0, headers: {}, body: raw };
  const [line, ...fields] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const f of fields) headers[f.slice(0, f.indexOf(':')).toLowerCase()] = f.slice(f.indexOf(':') + 1).trim();
  return { status: Number(line!.split(' ')[1]), headers, body: raw.slice(end + 4) };
}

/**
 * Sends `head` and then, if asked, `bytes` of body (chunked-encoded or raw)
 * as fast as the server takes it, until it is all sent or the server closes.
 * Resolves once the connection is closed (or after `timeoutMs`, closing it).
 */
export function rawRequest(t: Target, head: string, body?: { bytes: number; chunked: boolean }, timeoutMs = 15_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = open(t);
    const started = performance.now();
    let raw = '';
    let flushed = 0;
    let sent = 0;
    let closed = false;
    const piece = Buffer.alloc(64 * 1024, 0x20);
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (d) => (raw += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ ...parseAnswer(raw), flushed, closedAfterMs: performance.now() - started });
    });
    const pump = (): void => {
      while (body && !closed && sent < body.bytes) {
        const n = Math.min(piece.length, body.bytes - sent);
        sent += n;
        const data = body.chunked ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), piece.subarray(0, n), Buffer.from('\r\n')]) : piece.subarray(0, n);
        const more = socket.write(data, (err) => {
          if (!err) flushed += n;
        });
        if (!more) return void socket.once('drain', pump);
      }
      if (body?.chunked && !closed && sent >= body.bytes) socket.write('0\r\n\r\n');
    };
    socket.once(t.ca ? 'secureConnect' : 'connect', () => {
      socket.write(head);
      pump();
    });
  });
}

/** A request head that never ends: one more header line every `everyMs`, until the server closes the connection. */
export function slowHead(t: Target, everyMs = 200, timeoutMs = 15_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = open(t);
    const started = performance.now();
    let raw = '';
    let i = 0;
    const drip = setInterval(() => socket.write(`x-slow-${i++}: 1\r\n`), everyMs);
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (d) => (raw += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.once(t.ca ? 'secureConnect' : 'connect', () => socket.write('POST /v1/models/m:predict HTTP/1.1\r\nHost: m.ns.example.com\r\n'));
    socket.on('close', () => {
      clearInterval(drip);
      clearTimeout(timer);
      resolve({ ...parseAnswer(raw), flushed: 0, closedAfterMs: performance.now() - started });
    });
  });
}

/** `n` connections that send nothing (and discard what they get); resolves once all are connected. */
export async function idleConnections(t: Target, n: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i += 200) {
    const batch = Array.from({ length: Math.min(200, n - i) }, () => new Promise<Socket>((resolve, reject) => {
      const s = open(t);
      s.once(t.ca ? 'secureConnect' : 'connect', () => resolve(s));
      s.once('error', reject);
    }));
    sockets.push(...(await Promise.all(batch)));
  }
  for (const s of sockets) s.on('error', () => undefined).resume();
  return sockets;
}

/** Latencies in ms of `n` requests made one after another; sorted. */
export async function latencies(n: number, request: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await request();
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

export const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
