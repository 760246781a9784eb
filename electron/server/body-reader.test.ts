import { describe, expect, it } from 'vitest'
import { contentTypeProblem } from './body-reader'

describe('which Content-Type a POST body may carry', () => {
  it('accepts JSON and JSON-suffixed media types, with or without a UTF-8 charset', () => {
    for (const t of [
      'application/json',
      'Application/JSON',
      'application/json; charset=utf-8',
      'application/json;charset="UTF-8"',
      'application/merge-patch+json',
      'application/vnd.stackdeck.v1+json; charset=utf8',
    ])
      expect(contentTypeProblem(t), t).toBeNull()
    expect(contentTypeProblem(undefined)).toBeNull() // decided by the body: empty is fine, non-empty is 415
  })

  it('names what it refuses', () => {
    expect(contentTypeProblem('text/plain')).toBe(
      'Content-Type "text/plain" is not JSON; send application/json',
    )
    expect(contentTypeProblem('application/json; charset=latin1')).toBe(
      'Content-Type charset "latin1" is not supported; send UTF-8',
    )
    for (const t of [
      '',
      'json',
      'application/jsonp',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      '*/*',
    ])
      expect(contentTypeProblem(t), t).not.toBeNull()
  })
})
