/** Route matching, path parameters and success statuses, derived from the contract (pure). */
import { describe, expect, it } from 'vitest'
import { buildRouteTable, matchRoute, pathHasRoute, successStatus, withPathParams } from './routes'

const table = buildRouteTable()

describe('route table', () => {
  it('matches fixed paths and fills template parameters, decoded', () => {
    expect(matchRoute(table, 'GET', '/api/v1/runs')?.route.op).toBe('runs.list')
    const m = matchRoute(table, 'POST', '/api/v1/runs/run%3A1/commands/c-2/ack')
    expect(m?.route.op).toBe('runs.commands.ack')
    expect(m?.params).toEqual({ id: 'run:1', cmd: 'c-2' })
    expect(matchRoute(table, 'GET', '/api/v1/runs/r1/commands/next')?.route.op).toBe('runs.commands.next')
  })

  it('does not match an empty segment, another method or a bad escape', () => {
    expect(matchRoute(table, 'GET', '/api/v1/runs/')).toBeNull()
    expect(matchRoute(table, 'DELETE', '/api/v1/runs/r1')).toBeNull()
    expect(matchRoute(table, 'GET', '/api/v1/runs/%zz')).toBeNull()
    expect(pathHasRoute(table, '/api/v1/runs/r1/heartbeat')).toBe(true)
    expect(pathHasRoute(table, '/api/v1/nothing')).toBe(false)
  })

  it('puts path parameters into the input and refuses a body that says otherwise', () => {
    expect(withPathParams('runs.get', undefined, { id: 'r1' })).toEqual({ ok: true, input: { id: 'r1' } })
    expect(withPathParams('runs.heartbeat', { step: 1 }, { id: 'r1' })).toEqual({ ok: true, input: { step: 1, id: 'r1' } })
    expect(withPathParams('runs.heartbeat', { id: 'r1' }, { id: 'r1' })).toMatchObject({ ok: true })
    const clash = withPathParams('runs.heartbeat', { id: 'r2' }, { id: 'r1' })
    expect(clash).toMatchObject({ ok: false, path: '/id' })
    // null stays null for the validator to refuse; it is never turned into an object
    expect(withPathParams('runs.heartbeat', null, { id: 'r1' })).toEqual({ ok: true, input: null })
  })

  it('derives 201/200 from a created flag and 204 from a null field', () => {
    const create = table.get('POST /api/v1/runs')?.http
    const next = table.get('GET /api/v1/runs/{id}/commands/next')?.http
    expect(create && successStatus(create, { created: true })).toBe(201)
    expect(create && successStatus(create, { created: false })).toBe(200)
    expect(next && successStatus(next, { command: null })).toBe(204)
    expect(next && successStatus(next, { command: {} })).toBe(200)
  })

  it('matches the services routes: exact before template, one segment per parameter, method counts', () => {
    expect(matchRoute(table, 'GET', '/services')?.route.op).toBe('services.list')
    expect(matchRoute(table, 'PUT', '/services/web%2Dapi')).toMatchObject({ route: { op: 'services.update' }, params: { name: 'web-api' } })
    expect(matchRoute(table, 'DELETE', '/services/web')?.route.op).toBe('services.delete')
    expect(matchRoute(table, 'PUT', '/services/a/b')).toBeNull()
    expect(matchRoute(table, 'PATCH', '/services/web')).toBeNull()
    expect(withPathParams('services.update', { name: 'other' }, { name: 'web' })).toMatchObject({ ok: false, path: '/name' })
    expect(withPathParams('services.delete', undefined, { name: 'web' })).toEqual({ ok: true, input: { name: 'web' } })
  })

  it('answers an upsert 201 when it created and 204 when it updated', () => {
    const update = table.get('PUT /services/{name}')?.http
    expect(update && successStatus(update, { created: true })).toBe(201)
    expect(update && successStatus(update, { created: false })).toBe(204)
  })

  it('names a clashing body value without serialising it whole (a deep one would overflow the stack)', () => {
    let deep: unknown = 1
    for (let i = 0; i < 20_000; i++) deep = { a: deep }
    expect(withPathParams('runs.heartbeat', { id: deep }, { id: 'r1' })).toEqual({ ok: false, path: '/id', message: '"id" is an object in the body but "r1" in the path' })
  })
})
