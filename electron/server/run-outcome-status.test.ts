import { describe, expect, it } from 'vitest'
import { SAVE_AND_RESTART_STATUS, saveAndRestartStatus } from './run-outcome-status'

const step = (s: string, status = 'failed') => ({ step: s as 'validate', status: status as 'failed' })

describe('Save & Restart outcome -> HTTP status', () => {
  it('maps every outcome so a script can branch on the status alone', () => {
    expect(saveAndRestartStatus({ outcome: 'applied', steps: [] })).toBe(200)
    expect(saveAndRestartStatus({ outcome: 'applied_unconfirmed', steps: [] })).toBe(202)
    expect(saveAndRestartStatus({ outcome: 'unpause_failed', steps: [step('unpause')] })).toBe(502)
    expect(
      saveAndRestartStatus({ outcome: 'failed', errorCode: 'conflict', steps: [step('validate')] }),
    ).toBe(409)
    expect(
      saveAndRestartStatus({ outcome: 'failed', errorCode: 'schema_error', steps: [step('validate')] }),
    ).toBe(422)
    expect(
      saveAndRestartStatus({ outcome: 'failed', errorCode: 'parse_error', steps: [step('validate')] }),
    ).toBe(422)
    expect(
      saveAndRestartStatus({ outcome: 'failed', errorCode: 'invalid_input', steps: [step('validate')] }),
    ).toBe(422)
    expect(saveAndRestartStatus({ outcome: 'failed', errorCode: 'io_error', steps: [step('write')] })).toBe(
      500,
    )
    expect(saveAndRestartStatus({ outcome: 'failed', errorCode: 'timeout', steps: [step('pause')] })).toBe(
      504,
    )
    expect(
      saveAndRestartStatus({ outcome: 'failed', errorCode: 'unavailable', steps: [step('validate')] }),
    ).toBe(503)
    // A pause the engine refused carries no error code: the failed step decides.
    expect(saveAndRestartStatus({ outcome: 'failed', steps: [step('validate', 'ok'), step('pause')] })).toBe(
      502,
    )
  })

  it('documents each status it can answer', () => {
    const documented = new Set(SAVE_AND_RESTART_STATUS.map((r) => r.status))
    for (const s of [200, 202, 409, 422, 500, 502, 503, 504]) expect(documented.has(s), String(s)).toBe(true)
  })
})
