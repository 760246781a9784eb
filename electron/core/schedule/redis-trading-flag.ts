import type { Redis } from 'ioredis'
import { parseFlagRecord } from '../api/records'
import type { FlagState, FlagWrite, TradingFlag } from './trading-flag'

/**
 * `trading_enabled` in Redis: a key holding JSON {value, version, who, why, at, source, enabled} and a
 * PUBLISH of the same JSON on every write. The key is the truth (pub/sub is at-most-once); the message
 * only tells listeners to look. `enabled` mirrors `value` for readers that expect that name.
 *
 * The version is read and incremented inside one Lua script, so two writers cannot hand out the
 * same version and a reader can always order records. It never goes back, even if Redis lost the key:
 * the script takes the larger of the stored version and the last one this process saw.
 */
export interface RedisTradingFlagOptions {
  key?: string
  channel?: string
  now?: () => Date
  onError?: (err: unknown, during: string) => void
}

const WRITE_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
local version = tonumber(ARGV[3]) or 0
if cur then
  local ok, old = pcall(cjson.decode, cur)
  if ok and type(old) == 'table' and tonumber(old['version']) and tonumber(old['version']) > version then
    version = tonumber(old['version'])
  end
end
local rec = cjson.decode(ARGV[1])
rec['version'] = version + 1
local out = cjson.encode(rec)
redis.call('SET', KEYS[1], out)
redis.call('PUBLISH', ARGV[2], out)
return out
`


export class RedisTradingFlag implements TradingFlag {
  readonly key: string
  readonly channel: string
  private readonly now: () => Date
  /** The last state this process wrote: what it wants the stack to obey. */
  private desired: { value: boolean; meta: FlagWrite } | null = null
  private lastVersion = 0

  constructor(
    private readonly redis: Redis,
    private readonly opts: RedisTradingFlagOptions = {},
  ) {
    this.key = opts.key ?? 'stackdeck:trading_enabled'
    this.channel = opts.channel ?? 'stackdeck.trading_enabled'
    this.now = opts.now ?? (() => new Date())
  }

  async get(): Promise<FlagState | null> {
    return this.seen(parseFlagRecord(await this.redis.get(this.key)))
  }

  async set(value: boolean, meta: FlagWrite): Promise<FlagState> {
    this.desired = { value, meta }
    return this.write(value, meta)
  }

  /**
   * After a reconnect: messages published while we were away are lost, so announce the key again.
   * If Redis lost the key (restart without persistence), write our last state back (new version).
   * A record someone else wrote meanwhile is left as it is and only re-announced: the key is the truth.
   */
  async reassert(): Promise<FlagState | null> {
    const raw = await this.redis.get(this.key)
    if (raw === null) {
      if (!this.desired) return null
      const { value, meta } = this.desired
      return this.write(value, { ...meta, why: `${meta.why} (re-asserted after Redis lost the key)` })
    }
    await this.redis.publish(this.channel, raw)
    return this.seen(parseFlagRecord(raw))
  }

  /** Re-assert on every 'ready' (each reconnect). Returns a function that stops listening. */
  attach(): () => void {
    const onReady = () => {
      this.reassert().catch((err: unknown) => this.opts.onError?.(err, 're-asserting trading_enabled'))
    }
    this.redis.on('ready', onReady)
    return () => {
      this.redis.off('ready', onReady)
    }
  }

  private async write(value: boolean, meta: FlagWrite): Promise<FlagState> {
    const at = this.now().toISOString()
    const rec = { value, enabled: value, version: 0, who: meta.who, why: meta.why, source: meta.source, at }
    const out = (await this.redis.eval(
      WRITE_SCRIPT,
      1,
      this.key,
      JSON.stringify(rec),
      this.channel,
      String(this.lastVersion),
    )) as string
    const st = this.seen(parseFlagRecord(out))
    if (!st) throw new Error(`unexpected trading_enabled record written: ${out}`)
    return st
  }

  private seen(st: FlagState | null): FlagState | null {
    if (st && st.version > this.lastVersion) this.lastVersion = st.version
    return st
  }
}
