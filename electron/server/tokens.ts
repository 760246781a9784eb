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

  /**
   * Swaps the digest of the entry named `name` (the admin token on rotation). Verification reads the
   * entries afresh on every request and upgrade, so the old token stops working at once.
   */
  replace(name: string, sha256: string): void {
    const e = this.entries.find((x) => x.name === name)
    if (!e) throw new Error(`TokenRegistry: no token named ${name}`)
    e.digest = Buffer.from(sha256, 'hex')
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

/** Where the admin token came from; only a `file` token is the host's to rotate. */
export type AdminTokenSource = 'env' | 'settings' | 'file' | 'none'

export interface ResolvedTokens {
  registry: TokenRegistry
  source: AdminTokenSource
  /** True when this start made the token (and its file): the first URL to show the user. */
  created: boolean
  /** The admin token in clear when we know it (env, settings or file); used for the printed URL. */
  adminToken: string | null
}

export interface TokenStore {
  read(): Promise<string | null>
  write(token: string): Promise<unknown>
}

/**
 * The admin token, by precedence: STACKDECK_TOKEN, then `api.token`, then (only when no token a
 * person uses, read, operate or admin, is configured either) the one kept in the state directory,
 * made on the first start. Agent tokens do not count: they are for programs, and configuring one
 * must not leave the trader with no way in.
 */
export async function resolveTokens(
  api: { token?: string | undefined; tokens: Array<{ name: string; sha256: string; scope: TokenScope; agent?: string | undefined }> },
  env: NodeJS.ProcessEnv,
  store?: TokenStore,
): Promise<ResolvedTokens> {
  const fromEnv = env['STACKDECK_TOKEN']
  if (fromEnv && fromEnv.length < MIN_TOKEN_LENGTH) {
    throw new CoreError(
      'invalid_input',
      `STACKDECK_TOKEN is ${fromEnv.length} characters long; it needs at least ${MIN_TOKEN_LENGTH} (generate one with \`openssl rand -base64 32\`)`,
      { path: 'env:STACKDECK_TOKEN' },
    )
  }
  let admin: string | null = null
  let source: AdminTokenSource = 'none'
  let created = false
  if (fromEnv) [admin, source] = [fromEnv, 'env']
  else if (api.token) [admin, source] = [api.token, 'settings']
  else if (api.tokens.every((t) => t.scope === 'agent')) {
    source = 'file'
    admin = (await store?.read()) ?? null
    if (!admin) {
      admin = generateToken()
      created = true
      // Without a store (tests of this module) the token lives as long as the process.
      await store?.write(admin)
    }
  }
  const entries = [...api.tokens]
  if (admin) entries.unshift({ name: 'admin', sha256: sha256Hex(admin), scope: 'admin' })
  return { registry: new TokenRegistry(entries), source, created, adminToken: admin }
}
