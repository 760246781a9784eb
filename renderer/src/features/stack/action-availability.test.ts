import { describe, expect, it } from 'vitest'
import { pauseResumeAvailability } from './action-availability'

describe('pause and resume availability', () => {
  it('offers only what applies, saying why not', () => {
    const c = (...states: string[]) => states.map((state) => ({ state }))
    expect(pauseResumeAvailability(c('running', 'running'))).toEqual({ pause: null, resume: 'nothing is paused' })
    expect(pauseResumeAvailability(c('paused', 'exited'))).toEqual({ pause: 'nothing is running', resume: null })
    expect(pauseResumeAvailability(c('running', 'paused'))).toEqual({ pause: null, resume: null })
    expect(pauseResumeAvailability([])).toEqual({ pause: 'no containers', resume: 'no containers' })
  })
})
