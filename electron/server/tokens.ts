import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Scope } from '@core/api/define'
import { AGENT_OPERATIONS } from '@core/api/contract/runs'
import { CoreError } from '@core/errors'

/** Same floor as `api.token` in the settings schema: short tokens fall to guessing, throttle or not. */
export const MIN_TOKEN_LENGTH = 16

/** What a token may do: a rung of read < operate < admin, or `agent`, bound to one agent id. */
export type TokenScope = Scope | 'agent'

export interface TokenIdentity {
  name: string
  scope: TokenScope
  /** With scope agent: the agent it acts for. */
  agent?: string
}

interface Entry extends TokenIdentity {
  digest: Buffer
}

const RANK: Record<Scope, number> = { read: 0, operate: 1, admin: 2 }
export const scopeAllows = (have: Scope, need: Scope): boolean => RANK[have] >= RANK[need]

/**
 * Why this token may not call the operation, or null when it may. An agent token reaches the
 * agent operations only (heartbeat, pull and ack commands), whatever scope they name; the runs
 * domain then holds it to its own agent's runs.
 */
export function refusalFor(id: TokenIdentity, op: string, need: Scope): string | null {
  if (id.scope === 'agent') {
    return AGENT_OPERATIONS.has(op) ? null : `${op} is not open to agent tokens; token "${id.name}" may only beat, pull and ack commands for agent ${id.agent ?? '?'}`
  }
  return scopeAllows(id.scope, need) ? null : `${op} needs the ${need} scope; token "${id.name}" has ${id.scope}`
}

/** The call context's who and agent for a verified token: an agent token is audited as its agent. */
export const callerOf = (id: TokenIdentity): { who: string; agent?: string } =>
  id.scope === 'agent' && id.agent ? { who: `agent:${id.agent}`, agent: id.agent } : { who: id.name }

export const sha256Hex = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex')
export const generateToken = (): string => randomBytes(32).toString('base64url')

/**
 * Tokens are kept only as SHA-256 digests. Verification hashes the presented token and compares
 * digests with timingSafeEqual against every entry (no early exit), so timing reveals neither
 * which token matched nor how much of it.
 */
export class TokenRegistry {
  private readonly entries: Entry[]

  constructor(entries: Array<{ name: string; sha256: string; scope: TokenScope; agent?: string | undefined }>) {
    this.entries = entries.map((e) => ({ name: e.name, scope: e.scope, ...(e.agent ? { agent: e.agent } : {}), digest: Buffer.from(e.sha256, 'hex') }))
  }

  get size(): number {
    return this.entries.length
  }

  verify(presented: string | undefined): TokenIdentity | null {
    if (!presented) return null
    const digest = createHash('sha256').update(presented, 'utf8').digest()
    let found: Entry | null = null
    for (const e of this.entries) {
      if (timingSafeEqual(digest, e.digest) && !found) found = e
    }
    return found ? { name: found.name, scope: found.scope, ...(found.agent ? { agent: found.agent } : {}) } : null
  }
}

export interface ResolvedTokens {
  registry: TokenRegistry
  /** Set when we generated the admin token ourselves and must show it to the user once. */
  generated: string | null
  /** The admin token in clear when we know it (env, settings or generated); used for the printed URL. */
  adminToken: string | null
}

export function resolveTokens(
  api: { token?: string | undefined; tokens: Array<{ name: string; sha256: string; scope: TokenScope; agent?: string | undefined }> },
  env: NodeJS.ProcessEnv,
): ResolvedTokens {
  const fromEnv = env['STACKDECK_TOKEN']
  if (fromEnv && fromEnv.length < MIN_TOKEN_LENGTH) {
    throw new CoreError(
      'invalid_input',
      `STACKDECK_TOKEN is ${fromEnv.length} characters long; it needs at least ${MIN_TOKEN_LENGTH} (generate one with \`openssl rand -base64 32\`)`,
      { path: 'env:STACKDECK_TOKEN' },
    )
  }
  let admin = fromEnv && fromEnv.length > 0 ? fromEnv : (api.token ?? null)
  let generated: string | null = null
  if (!admin && api.tokens.length === 0) {
    admin = generateToken()
    generated = admin
  }
  const entries = [...api.tokens]
  if (admin) entries.unshift({ name: 'admin', sha256: sha256Hex(admin), scope: 'admin' })
  return { registry: new TokenRegistry(entries), generated, adminToken: admin }
}
