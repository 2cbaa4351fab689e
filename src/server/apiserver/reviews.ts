// "Who am I, and may I?": Kubernetes' SelfSubjectReview and
// SelfSubjectAccessReview, answered from the caller's own token. The
// dashboard asks them to greet the user and to show a plan's controls only to
// roles that may use them; `kubectl auth whoami` and `kubectl auth can-i`
// work too. The answer is advice: every write is checked again when it comes
// (a plan command also against the plan's owner team and canHalt groups).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { syError } from '../../core/errors.ts';
import { isAllowed, type Principal } from '../auth.ts';
import { readBody } from '../../core/http-body.ts';
import { decodeBody, mediaType } from '../http/body.ts';
import { sendJson } from '../http/respond.ts';

const WHOAMI = /^\/apis\/authentication\.k8s\.io\/(v1|v1beta1)\/selfsubjectreviews$/;
const CAN_I = /^\/apis\/authorization\.k8s\.io\/v1\/selfsubjectaccessreviews$/;

/** The role is also an extra field, so a client need not parse the username. */
export const ROLE_EXTRA = 'switchyard.dev/role';

const AccessReview = z.looseObject({
  spec: z.looseObject({
    resourceAttributes: z.looseObject({
      namespace: z.string().optional(),
      verb: z.string().min(1),
      group: z.string().optional(),
      resource: z.string().min(1),
      subresource: z.string().optional(),
      name: z.string().optional(),
    }).optional(),
    nonResourceAttributes: z.looseObject({ path: z.string(), verb: z.string().min(1) }).optional(),
  }).refine((s) => (s.resourceAttributes === undefined) !== (s.nonResourceAttributes === undefined), {
    message: 'exactly one of resourceAttributes and nonResourceAttributes must be set',
  }),
});

export function isReviewPath(path: string): boolean {
  return WHOAMI.test(path) || CAN_I.test(path);
}

export async function handleReview(req: IncomingMessage, res: ServerResponse, path: string, p: Principal): Promise<void> {
  if (req.method !== 'POST') throw syError('SY_ERR_METHOD_NOT_ALLOWED', `${req.method} is not supported on ${path}: POST a review`);
  const body = decodeBody(await readBody(req, 64 * 1024), mediaType(req));
  const now = new Date().toISOString();
  const whoami = WHOAMI.exec(path);
  if (whoami) {
    return sendJson(res, 201, {
      apiVersion: `authentication.k8s.io/${whoami[1]}`, kind: 'SelfSubjectReview', metadata: { creationTimestamp: now },
      status: { userInfo: { username: p.name, groups: [...p.groups, 'system:authenticated'], extra: { [ROLE_EXTRA]: [p.role] } } },
    });
  }
  const parsed = AccessReview.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw syError('SY_ERR_INVALID', `SelfSubjectAccessReview is invalid: ${issue.path.join('.') || 'spec'}: ${issue.message}`, {
      causes: [{ field: issue.path.join('.') || 'spec', message: issue.message, reason: 'FieldValueInvalid' }],
    });
  }
  const { resourceAttributes: r, nonResourceAttributes: n } = parsed.data.spec;
  // Non-resource paths (discovery, /version, /openapi) are read-only for every role.
  const allowed = r ? isAllowed(p.role, r.verb, r.resource) : n!.verb === 'get';
  const what = r ? `${r.verb} ${r.resource}${r.group ? `.${r.group}` : ''}` : `${n!.verb} ${n!.path}`;
  sendJson(res, 201, {
    apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: { creationTimestamp: now },
    spec: parsed.data.spec,
    status: { allowed, reason: `${p.role} "${p.name}" ${allowed ? 'may' : 'may not'} ${what}` },
  });
}
