// HTTP readiness probe: like the kubelet, any status 200–399 passes; a
// timeout, refused connection or other status fails with a reason that goes
// into the Unhealthy event.
import { request } from 'node:http';

export interface ProbeResult {
  ok: boolean;
  /** Why it failed, kubelet wording where there is one. */
  message?: string;
}

export const PROBE_USER_AGENT = 'kube-probe/switchyard';

export function httpProbe(port: number, path: string, timeoutMs: number, host = '127.0.0.1'): Promise<ProbeResult> {
  return new Promise((resolve) => {
    // kubelet's probe User-Agent, so servers can keep probes out of their access logs as they do on Kubernetes.
    const headers = { 'user-agent': PROBE_USER_AGENT };
    const req = request({ host, port, path, method: 'GET', timeout: timeoutMs, agent: false, headers }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${status}` });
    });
    req.on('timeout', () => req.destroy(new Error(`context deadline exceeded (timeout ${timeoutMs}ms)`)));
    req.on('error', (err) => resolve({ ok: false, message: `Get "http://${host}:${port}${path}": ${err.message}` }));
    req.end();
  });
}
