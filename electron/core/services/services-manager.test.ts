import { describe, expect, it } from 'vitest'
import type { ServiceT } from '../api/contract/services'
import { CoreError } from '../errors'
import { ServicesManager } from './services-manager'
import type { SettingsFile } from './settings-file'

const svc = (name: string, selector: Record<string, string> = { app: name }): ServiceT => ({
  name,
  selector,
  reload: { signal: null, logPattern: null, timeoutMs: 1000 },
})

/** An in-memory settings file: what was written, in order. */
function memoryFile(raw: Record<string, unknown>) {
  const writes: Array<Record<string, unknown>> = []
  let doc = raw
  const file = {
    path: '/x/settings.json',
    read: async () => ({ raw: structuredClone(doc), hash: 'h' }),
    write: async (next: Record<string, unknown>) => {
      doc = next
      writes.push(next)
      return { backup: `b${writes.length}`, hash: 'h' }
    },
  } as unknown as SettingsFile
  return { file, writes }
}

function manager(raw: Record<string, unknown>, validate?: (raw: Record<string, unknown>) => readonly ServiceT[]) {
  const { file, writes } = memoryFile(raw)
  const applied: string[][] = []
  const m = new ServicesManager({
    file,
    initial: (raw['services'] as ServiceT[] | undefined) ?? [svc('default')],
    validate: validate ?? ((r) => r['services'] as ServiceT[]),
    apply: async (list) => void applied.push(list.map((s) => s.name)),
  })
  return { m, writes, applied }
}

describe('ServicesManager', () => {
  it('creates, replaces and removes, each written then applied, keeping the rest of the document', async () => {
    const { m, writes, applied } = manager({ services: [svc('a')], redis: { url: 'redis://x' } })
    expect(await m.create(svc('b'))).toMatchObject({ created: true, backup: 'b1' })
    expect(await m.update(svc('b', { app: 'other' }))).toMatchObject({ created: false, service: { selector: { app: 'other' } } })
    expect(await m.update(svc('c'))).toMatchObject({ created: true })
    await m.delete({ name: 'a' })
    expect(applied).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b', 'c'], ['b', 'c']])
    expect(writes.at(-1)).toEqual({ services: [svc('b', { app: 'other' }), svc('c')], redis: { url: 'redis://x' } })
    expect(m.list().services.map((s) => s.name)).toEqual(['b', 'c'])
  })

  it('a file without a services section starts from the defaults it runs on', async () => {
    const { m, writes } = manager({})
    await m.create(svc('b'))
    expect((writes[0]?.['services'] as ServiceT[]).map((s) => s.name)).toEqual(['default', 'b'])
  })

  it('refuses a duplicate create and an unknown delete, writing nothing', async () => {
    const { m, writes } = manager({ services: [svc('a')] })
    await expect(m.create(svc('a'))).rejects.toMatchObject({ code: 'conflict' })
    await expect(m.delete({ name: 'z' })).rejects.toMatchObject({ code: 'not_found' })
    expect(writes).toEqual([])
  })

  it("names the request's field when the new service is refused, and neither writes nor applies", async () => {
    const { m, writes, applied } = manager({ services: [svc('a')] }, () => {
      throw new CoreError('invalid_input', 'settings.json: /services/1/endpoint unknown endpoint', { path: '/services/1/endpoint' })
    })
    const err = (await m.create(svc('b')).catch((e: unknown) => e)) as CoreError
    expect(err.path).toBe('/endpoint')
    expect(err.message).toContain('/endpoint unknown endpoint')
    expect(writes).toEqual([])
    expect(applied).toEqual([])
  })

  it('runs concurrent changes one after the other', async () => {
    const { m } = manager({ services: [] })
    await Promise.all([m.create(svc('a')), m.create(svc('b')), m.create(svc('c'))])
    expect(m.list().services.map((s) => s.name)).toEqual(['a', 'b', 'c'])
  })

  it('without a settings file, refuses to change anything', async () => {
    const m = new ServicesManager({ file: null, initial: [], validate: () => [], apply: async () => undefined })
    await expect(m.create(svc('a'))).rejects.toMatchObject({ code: 'conflict' })
    expect(m.list().source).toBeNull()
  })
})
