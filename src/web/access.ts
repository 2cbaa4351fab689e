// Who the token is, and what it may do, asked the Kubernetes way
// (SelfSubjectReview, SelfSubjectAccessReview). The answer only decides what
// the page shows: the server checks every write again and refuses the rest.
import { useEffect, useState } from 'preact/hooks';
import { getJson, send } from './api.ts';
import type { User } from './session.ts';

const ROLE_EXTRA = 'switchyard.dev/role';

/** Checks a token (401 names the problem) and says whose it is. */
export async function whoami(token?: string): Promise<User> {
  const review = await getJson<{ status?: { userInfo?: { username?: string; groups?: string[]; extra?: Record<string, string[]> } } }>(
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    { method: 'POST', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, ...(token ? { token } : {}) },
  );
  const info = review.status?.userInfo ?? {};
  return {
    name: info.username ?? 'unknown', role: info.extra?.[ROLE_EXTRA]?.[0] ?? 'unknown',
    groups: (info.groups ?? []).filter((g) => !g.startsWith('system:')),
  };
}

export async function canI(attrs: { verb: string; group: string; resource: string; namespace?: string }): Promise<boolean> {
  const res = await send('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    method: 'POST',
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: attrs } },
  });
  return ((await res.json()) as { status?: { allowed?: boolean } }).status?.allowed === true;
}

/** Whether the signed-in token may do this; undefined while asking (show nothing until known). */
export function useCanI(verb: string, group: string, resource: string, namespace?: string): boolean | undefined {
  const [allowed, setAllowed] = useState<boolean | undefined>(undefined);
  useEffect(() => {
    let live = true;
    setAllowed(undefined);
    canI({ verb, group, resource, ...(namespace ? { namespace } : {}) }).then((a) => live && setAllowed(a), () => live && setAllowed(false));
    return () => {
      live = false;
    };
  }, [verb, group, resource, namespace]);
  return allowed;
}
