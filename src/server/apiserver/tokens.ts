// /switchyard/v1/tokens: an admin mints a token with a role and groups
// (POST, the plain token answered once) and lists them (GET, never the
// secret). Creating one is audited.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { formatCauses, zodIssuesToCauses } from '../../api/validate.ts';
import { syError } from '../../core/errors.ts';
import type { Store } from '../../store/types.ts';
import { GroupName, ROLES, type Principal, type TokenRegistry } from '../auth.ts';
import { readBody } from '../../core/http-body.ts';
import { decodeBody, mediaType } from '../http/body.ts';
import { sendJson } from '../http/respond.ts';

const CreateToken = z.object({
  role: z.enum(ROLES),
  name: z.string().min(1).max(253).optional(),
  groups: z.array(GroupName).default([]),
});

function requireAdmin(p: Principal, verb: string): void {
  if (p.role !== 'admin') throw syError('SY_ERR_FORBIDDEN', `tokens are forbidden: ${p.role} "${p.name}" cannot ${verb} tokens (admin only)`);
}

export async function handleTokens(req: IncomingMessage, res: ServerResponse, p: Principal, tokens: TokenRegistry, store: Store): Promise<void> {
  if (req.method === 'GET') {
    requireAdmin(p, 'list');
    return sendJson(res, 200, { items: tokens.list() });
  }
  if (req.method !== 'POST') throw syError('SY_ERR_METHOD_NOT_ALLOWED', `${req.method} is not supported on tokens`);
  requireAdmin(p, 'create');
  const raw = decodeBody(await readBody(req, 64 * 1024), mediaType(req));
  const parsed = CreateToken.safeParse(raw);
  if (!parsed.success) {
    const causes = zodIssuesToCauses(parsed.error.issues, raw);
    throw syError('SY_ERR_INVALID', `token is invalid: ${formatCauses(causes)}`, { causes });
  }
  const { role, groups } = parsed.data;
  const name = parsed.data.name ?? `${role}-${Date.now().toString(36)}`;
  const token = tokens.create(role, name, groups);
  await store.appendAudit({ actor: `${p.role}:${p.name}`, verb: 'create', resource: `switchyard.dev/tokens//${name}`, after: { name, role, groups } });
  sendJson(res, 201, { name, role, groups, token });
}
