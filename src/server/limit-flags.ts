// Flags of the long-running commands (`switchyard up`, `controller`, `sink`):
// ports, and the limits of the gateway and the API server: durations as Go
// durations (32s, 5m), sizes as Kubernetes quantities (64Mi), counts as
// integers. Each flag's help shows its default.
import { InvalidArgumentError, type Command } from 'commander';
import { parseGoDuration } from '../core/duration.ts';
import type { HttpLimits } from '../core/http-limits.ts';
import { parseByteQuantity } from '../core/quantity.ts';
import { GATEWAY_LIMITS } from '../gateway/limits.ts';
import { API_LIMITS, type ApiLimits } from './apiserver/limits.ts';

/** A port flag (0 picks a free one). */
export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

/** A positive Go duration flag (10s, 2m, 1h) in milliseconds. */
export function duration(value: string): number {
  const ms = parseGoDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError('must be a positive duration like 10s, 2m or 1h');
  return ms;
}

function size(value: string): number {
  const bytes = parseByteQuantity(value);
  if (bytes === undefined || bytes <= 0) throw new InvalidArgumentError('must be a positive size like 512Ki, 64Mi or 1G');
  return bytes;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

const seconds = (ms: number): string => `${ms / 1000}s`;
const mebibytes = (bytes: number): string => `${bytes / (1024 * 1024)}Mi`;

export interface LimitFlags {
  gatewayHeaderTimeout?: number;
  gatewayIdleTimeout?: number;
  gatewayMaxBody?: number;
  gatewayMaxConnections?: number;
  apiHeaderTimeout?: number;
  apiIdleTimeout?: number;
  apiMaxBody?: number;
  apiMaxConnections?: number;
  apiMaxWatches?: number;
}

export function addLimitFlags(cmd: Command): Command {
  const g = GATEWAY_LIMITS;
  const a = API_LIMITS;
  return cmd
    .option('--gateway-header-timeout <duration>', `close a gateway connection whose request head has not arrived in this long, with 408 (default: ${seconds(g.headersTimeoutMs)})`, duration)
    .option('--gateway-idle-timeout <duration>', `close a kept-alive gateway connection idle this long (default: ${seconds(g.idleTimeoutMs)})`, duration)
    .option('--gateway-max-body <size>', `refuse larger inference request bodies with 413, unread (default: ${mebibytes(g.maxBodyBytes)})`, size)
    .option('--gateway-max-connections <n>', `close gateway connections beyond this many at once (default: ${g.maxConnections})`, count)
    .option('--api-header-timeout <duration>', `the same for the API server (default: ${seconds(a.headersTimeoutMs)})`, duration)
    .option('--api-idle-timeout <duration>', `the same for the API server (default: ${seconds(a.idleTimeoutMs)})`, duration)
    .option('--api-max-body <size>', `the same for the API server (default: ${mebibytes(a.maxBodyBytes)})`, size)
    .option('--api-max-connections <n>', `the same for the API server (default: ${a.maxConnections})`, count)
    .option('--api-max-watches <n>', `answer watches beyond this many open ones with 429 (default: ${a.maxWatches})`, count);
}

const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** The limits the flags set; what they leave out keeps its default. */
export function limitsFromFlags(f: LimitFlags): { gateway: Partial<HttpLimits>; api: Partial<ApiLimits> } {
  return {
    gateway: defined({ headersTimeoutMs: f.gatewayHeaderTimeout, idleTimeoutMs: f.gatewayIdleTimeout, maxBodyBytes: f.gatewayMaxBody, maxConnections: f.gatewayMaxConnections }),
    api: defined({ headersTimeoutMs: f.apiHeaderTimeout, idleTimeoutMs: f.apiIdleTimeout, maxBodyBytes: f.apiMaxBody, maxConnections: f.apiMaxConnections, maxWatches: f.apiMaxWatches }),
  };
}
