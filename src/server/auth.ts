// Bearer tokens with a role and groups. Tokens are stored only as sha256
// digests in <data-dir>/tokens.json; the plain token is shown once, when
// created. The role says which verbs a token may use; its groups say which
// teams it speaks for (a TrafficPlan's spec.owner.team and canHalt name them).
// A feedback token (given to applications) may only post feedback: it reads
// nothing and is refused everywhere else.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { syError } from '../core/errors.ts';

export const ROLES = ['viewer', 'operator', 'admin', 'feedback'] as const;
export type Role = (typeof ROLES)[number];

/** A group as owner.team and canHalt name it: no whitespace or commas (the CLI splits --group on commas). */
export const GroupName = z.string().min(1).max(253).regex(/^[^\s,]+$/, 'a group name has no whitespace or commas');

const TokenRecord = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  // Tokens created before groups existed have none.
  groups: z.array(GroupName).default([]),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  created: z.string(),
});
const TokenFile = z.object({ tokens: z.array(TokenRecord) });
type TokenRecord = z.infer<typeof TokenRecord>;

export interface Principal {
  name: string;
  role: Role;
  groups: readonly string[];
}

/** What `token list` shows: everything but the digest. */
export interface TokenInfo extends Principal {
  created: string;
}

const READ_VERBS = new Set(['get', 'list', 'watch']);
/** What an operator may change besides reading: the traffic-moving verbs live on TrafficPlans. */
const OPERATOR_RESOURCES = new Set(['trafficplans']);

/** What posting feedback is, for isAllowed. */
export const FEEDBACK_RESOURCE = 'feedback';

/**
 * Kinds only an admin may read: Secrets hold storage credentials (s3://, gs://), and Kubernetes'
 * own `view` role leaves them out for the same reason.
 */
const ADMIN_ONLY_READS = new Set(['secrets']);

/** viewer reads (Secrets aside); operator also drives TrafficPlans (promote, rollback, pause, kill); admin does all; feedback only posts feedback. */
export function isAllowed(role: Role, verb: string, resource: string): boolean {
  if (role === 'admin') return true;
  if (role === 'feedback') return verb === 'create' && resource === FEEDBACK_RESOURCE;
  if (resource === FEEDBACK_RESOURCE || ADMIN_ONLY_READS.has(resource)) return false;
  if (READ_VERBS.has(verb)) return true;
  return role === 'operator' && OPERATOR_RESOURCES.has(resource);
}

/** The token of an `Authorization: Bearer TOKEN` header; undefined when there is none. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class TokenRegistry {
  private byDigest = new Map<string, TokenRecord>();

  constructor(private readonly file: string) {
    if (existsSync(file)) {
      const parsed = TokenFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!parsed.success) throw syError('SY_ERR_CONFIG', `${file} is not a valid token file: ${parsed.error.issues[0]?.message}`);
      for (const t of parsed.data.tokens) this.byDigest.set(t.sha256, t);
    }
  }

  authenticate(header: string | undefined): Principal {
    const token = bearerToken(header);
    if (token === undefined) throw syError('SY_ERR_UNAUTHORIZED', 'no bearer token: send "Authorization: Bearer <token>" (see <data-dir>/kubeconfig)');
    const record = this.byDigest.get(digest(token));
    if (!record) throw syError('SY_ERR_UNAUTHORIZED', 'the bearer token is not known to this server');
    return { name: record.name, role: record.role, groups: record.groups };
  }

  /** The principal of a header allowed to post feedback (a feedback or admin token); SY_ERR_UNAUTHORIZED or SY_ERR_FORBIDDEN otherwise. */
  authorizeFeedback(header: string | undefined): Principal {
    const p = this.authenticate(header);
    if (!isAllowed(p.role, 'create', FEEDBACK_RESOURCE)) {
      throw syError('SY_ERR_FORBIDDEN', `feedback is forbidden: ${p.role} "${p.name}" cannot post feedback (a feedback or admin token can: switchyard token create --role feedback)`);
    }
    return p;
  }

  /** Creates a token and persists its digest; returns the plain token. */
  create(role: Role, name: string, groups: readonly string[] = [], now: Date = new Date()): string {
    if ([...this.byDigest.values()].some((t) => t.name === name)) {
      throw syError('SY_ERR_ALREADY_EXISTS', `a token named "${name}" already exists`);
    }
    const token = `sy_${role}_${randomBytes(24).toString('base64url')}`;
    const record: TokenRecord = { name, role, groups: [...new Set(groups)], sha256: digest(token), created: now.toISOString() };
    this.byDigest.set(record.sha256, record);
    this.save();
    return token;
  }

  list(): TokenInfo[] {
    return [...this.byDigest.values()].map(({ name, role, groups, created }) => ({ name, role, groups, created }));
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ tokens: [...this.byDigest.values()] }, null, 2), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
