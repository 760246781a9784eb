import { spawnSync } from 'node:child_process'
import { Redis, type RedisOptions } from 'ioredis'
import { requireInSuite } from './test-env'

/**
 * Redis side of the test environment (scripts/with-test-env.sh starts a throw-away redis-server on
 * a free loopback port and exports STACKDECK_TEST_REDIS_URL).
 */

export function hasTestRedis(): boolean {
  const has = Boolean(process.env.STACKDECK_TEST_REDIS_URL)
  requireInSuite(has, 'the test Redis (STACKDECK_TEST_REDIS_URL)')
  return has
}

/**
 * A redis-server binary this test may start, freeze and kill itself (Debian: apt-get install -y
 * redis-server; with-test-env.sh installs it). Inside npm test its absence is a failure, not a skip.
 */
export function hasRedisServerBinary(): boolean {
  const has = spawnSync('redis-server', ['--version']).status === 0
  requireInSuite(has, 'the redis-server binary (apt-get install -y redis-server)')
  return has
}

/** The test Redis URL; throws a clear error when the test environment is absent. */
export function testRedisUrl(): string {
  const url = process.env.STACKDECK_TEST_REDIS_URL
  if (!url) {
    throw new Error('STACKDECK_TEST_REDIS_URL is not set: run under `bash scripts/with-test-env.sh <cmd>`')
  }
  return url
}

/** Host and port as a container on `--network host` reaches them (REDIS_HOST / REDIS_PORT). */
export function testRedisAddress(): { host: string; port: number } {
  const u = new URL(testRedisUrl())
  return { host: u.hostname || '127.0.0.1', port: u.port ? Number(u.port) : 6379 }
}

/** Env vars that point the fixture service at the test Redis. */
export function fixtureRedisEnv(): Record<string, string> {
  const { host, port } = testRedisAddress()
  return { REDIS_HOST: host, REDIS_PORT: String(port) }
}

/** A new ioredis client on the test Redis; the caller must `quit()` it. */
export function newTestRedis(options: RedisOptions = {}): Redis {
  return new Redis(testRedisUrl(), { maxRetriesPerRequest: 2, ...options })
}

/** A key under this run's label, so tests sharing one Redis never collide. */
export function testKey(name: string): string {
  return `stackdeck-test:${process.env.STACKDECK_TEST_LABEL ?? 'local'}:${name}`
}
