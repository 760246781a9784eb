import type { Redis } from 'ioredis'
import type { KillswitchStore } from './killswitch'
import type { RegimeStore } from './regime'

/**
 * Bumps `version` inside Redis so two Stackdeck instances (or a script) engaging at once can
 * never write the same version: read, increment and write happen in one atomic script.
 */
const VERSIONED_SET = `
local cur = redis.call('GET', KEYS[1])
local v = 0
if cur then
  local ok, d = pcall(cjson.decode, cur)
  if ok and type(d) == 'table' and type(d['version']) == 'number' then v = d['version'] end
end
local rec = cjson.decode(ARGV[1])
rec['version'] = v + 1
local out = cjson.encode(rec)
redis.call('SET', KEYS[1], out)
return out
`

type WithVersioned = Redis & { stackdeckVersionedSet(key: string, json: string): Promise<string> }

/** Key and channel access over the command connection, for the killswitch, regime and trading flag. */
export class RedisStore implements KillswitchStore, RegimeStore {
  private readonly r: WithVersioned

  constructor(cmd: Redis) {
    if (!('stackdeckVersionedSet' in cmd))
      cmd.defineCommand('stackdeckVersionedSet', { numberOfKeys: 1, lua: VERSIONED_SET })
    this.r = cmd as WithVersioned
  }

  get(key: string): Promise<string | null> {
    return this.r.get(key)
  }

  async set(key: string, value: string): Promise<void> {
    await this.r.set(key, value)
  }

  async setIfAbsent(key: string, value: string): Promise<boolean> {
    return (await this.r.set(key, value, 'NX')) === 'OK'
  }

  setVersioned(key: string, record: Record<string, unknown>): Promise<string> {
    return this.r.stackdeckVersionedSet(key, JSON.stringify(record))
  }

  publish(channel: string, message: string): Promise<number> {
    return this.r.publish(channel, message)
  }
}
