import type { Redis } from 'ioredis'
import { parseOverrideRecord, type OverrideRecord, type OverrideStore } from './override-store'

/** The schedule override persisted as JSON in one Redis key, so a restart keeps a trader's decision. */
export class RedisOverrideStore implements OverrideStore {
  constructor(
    private readonly redis: Redis,
    readonly key = 'stackdeck:schedule_override',
  ) {}

  async get(): Promise<OverrideRecord | null> {
    return parseOverrideRecord(await this.redis.get(this.key))
  }

  async set(record: OverrideRecord | null): Promise<void> {
    if (record === null) await this.redis.del(this.key)
    else await this.redis.set(this.key, JSON.stringify(record))
  }
}
