/**
 * The config routes (load, validate, save, backups, diff, restore) against the REAL built host
 * process, the private Docker engine (fixture containers) and the private Redis (test-support/route-
 * stack.ts): each result checked against the contract with ajv, each side effect checked at the source
 * (docker inspect, the file on disk, Redis, container logs).
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import type { OperationName } from '@core/api/contract'
import { hasTestDocker } from '../../../test-support/docker-fixtures'
import { hasTestRedis } from '../../../test-support/redis-fixture'
import { sha256 } from '../../../test-support/api-harness'
import { happyPaths, useRouteStack } from '../../../test-support/route-stack'

const enabled = hasTestDocker() && hasTestRedis()

describe.skipIf(!enabled)('control API routes: config.toml', () => {
  const rs = useRouteStack()

  // One case per route, in an order where each leaves the stack as it found it.
  const happy: Array<[OperationName, () => Promise<void>]> = [
    [
      'config.load',
      async () => {
        const c = await rs.ok('config.load', {}, rs.tokens.read)
        const text = await readFile(rs.ws.configPath, 'utf8')
        expect(c.text).toBe(text)
        expect(c.hash).toBe(sha256(text))
        expect(c.valid).toBe(true)
        expect(c.path).toBe(rs.ws.configPath)
      },
    ],
    [
      'config.validate',
      async () => {
        const text = await rs.edited((t) => t.replace('max_open_orders = 40', 'max_open_orders = 41'))
        const v = await rs.ok('config.validate', { text }, rs.tokens.read)
        expect(v.ok).toBe(true)
        expect(v.diff?.changes).toEqual([
          expect.objectContaining({ pointer: '/risk/max_open_orders', before: 40, after: 41 }),
        ])
        const bad = await rs.ok(
          'config.validate',
          { text: text.replace('max_open_orders = 41', 'max_open_orders = "many"') },
          rs.tokens.read,
        )
        expect(bad.ok).toBe(false)
        expect(bad.errorKind).toBe('schema')
        expect(bad.errors[0]?.path).toBe('/risk/max_open_orders')
      },
    ],
    [
      'config.save',
      async () => {
        const before = await readFile(rs.ws.configPath, 'utf8')
        const text = before.replace('max_open_orders = 40', 'max_open_orders = 42')
        expect(text).not.toBe(before)
        const r = await rs.ok('config.save', { text, baseHash: sha256(before) }, rs.tokens.operate)
        expect(await readFile(rs.ws.configPath, 'utf8')).toBe(text)
        expect(r.hash).toBe(sha256(text))
        expect(await readFile(join(rs.ws.configDir, r.backup), 'utf8')).toBe(before)
      },
    ],
    [
      'config.backups',
      async () => {
        const b = await rs.ok('config.backups', {}, rs.tokens.read)
        const onDisk = (await readdir(rs.ws.configDir)).filter((f) => f.startsWith('config.toml.bak.'))
        expect(b.backups.map((x) => x.name).sort()).toEqual(onDisk.sort())
        expect(b.backups.length).toBeGreaterThan(0)
      },
    ],
    [
      'config.diff',
      async () => {
        const newest = (await rs.ok('config.backups', {}, rs.tokens.read)).backups[0]
        expect(newest).toBeDefined()
        const d = await rs.ok('config.diff', { backup: newest?.name }, rs.tokens.read)
        expect(d.valid).toBe(true)
        expect(d.diff.changes).toEqual([
          expect.objectContaining({ pointer: '/risk/max_open_orders', before: 42, after: 40 }),
        ])
      },
    ],
    [
      'config.restore',
      async () => {
        const newest = (await rs.ok('config.backups', {}, rs.tokens.read)).backups[0]
        const current = await readFile(rs.ws.configPath, 'utf8')
        const wanted = await readFile(join(rs.ws.configDir, newest?.name as string), 'utf8')
        const r = await rs.ok(
          'config.restore',
          { backup: newest?.name, baseHash: sha256(current) },
          rs.tokens.operate,
        )
        expect(r.restoredFrom).toBe(newest?.name)
        expect(await readFile(rs.ws.configPath, 'utf8')).toBe(wanted)
        expect(await readFile(join(rs.ws.configDir, r.backup), 'utf8')).toBe(current)
      },
    ],
  ]

  happyPaths('config', happy)
})
