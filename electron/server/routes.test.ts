import { describe, expect, it } from 'vitest'
import { buildRouteTable, matchRoute, pathParams, withPathParams } from './routes'

describe('REST routes with {param} paths', () => {
  const table = buildRouteTable()

  it('matches exact paths first, then templates, decoding each segment', () => {
    expect(matchRoute(table, 'GET', '/services')?.route.op).toBe('services.list')
    expect(matchRoute(table, 'PUT', '/services/web%2Dapi')).toMatchObject({ route: { op: 'services.update' }, params: { name: 'web-api' } })
    expect(matchRoute(table, 'DELETE', '/services/web')?.route.op).toBe('services.delete')
    // One segment per parameter, and the method counts.
    expect(matchRoute(table, 'PUT', '/services/a/b')).toBeUndefined()
    expect(matchRoute(table, 'PUT', '/services/')).toBeUndefined()
    expect(matchRoute(table, 'PATCH', '/services/web')).toBeUndefined()
    expect(matchRoute(table, 'PUT', '/services/%zz')).toBeUndefined()
    expect(pathParams('/services/{name}')).toEqual(['name'])
  })

  it('fills the path parameters into the input, refusing a body that names another', () => {
    expect(withPathParams({ selector: { a: 'b' } }, { name: 'web' })).toEqual({ input: { selector: { a: 'b' }, name: 'web' } })
    expect(withPathParams(undefined, { name: 'web' })).toEqual({ input: { name: 'web' } })
    expect(withPathParams({ name: 'web' }, { name: 'web' })).toEqual({ input: { name: 'web' } })
    expect(withPathParams({ name: 'other' }, { name: 'web' })).toMatchObject({ error: { field: 'name' } })
    // Not an object: left for the validator to refuse by its own rules.
    expect(withPathParams([1], { name: 'web' })).toEqual({ input: [1] })
    expect(withPathParams({ a: 1 }, {})).toEqual({ input: { a: 1 } })
  })
})
