import { describe, expect, it } from 'vitest'
import { classifyCallError, dockerErrorMessage, settleOutcome, stateContradictsRefusal } from './outcome'

// Shapes as docker-modem builds them: message "(HTTP code N) reason - <daemon message> ", json = body.
const dockerErr = (statusCode: number, message: string) =>
  Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), {
    statusCode,
    json: { message },
  })

describe('classifyCallError', () => {
  it('reads the daemon message', () => {
    expect(dockerErrorMessage(dockerErr(409, 'Container abc is already paused'))).toBe(
      'Container abc is already paused',
    )
    expect(
      dockerErrorMessage(
        Object.assign(new Error('(HTTP code 500) server error - boom '), { statusCode: 500 }),
      ),
    ).toBe('boom')
    expect(dockerErrorMessage(Object.assign(new Error('connect ENOENT /x.sock'), { code: 'ENOENT' }))).toBe(
      'connect ENOENT /x.sock',
    )
  })

  it.each([
    ['pause', dockerErr(409, 'Container abc is already paused'), 'already'],
    ['pause', dockerErr(409, 'Container abc is not running'), 'inapplicable'],
    // A `rm -f` racing the pause: the engine has stopped it and says so with a 500.
    [
      'pause',
      dockerErr(500, 'Cannot pause container abc: cannot pause a stopped container: unknown'),
      'inapplicable',
    ],
    ['pause', dockerErr(409, 'Container abc is restarting, wait until the container is running'), 'conflict'],
    ['unpause', dockerErr(409, 'Container abc is not paused'), 'inapplicable'],
    ['unpause', dockerErr(500, 'Container abc is not paused'), 'inapplicable'],
    ['restart', dockerErr(500, 'Container abc is not paused'), 'failed'],
    ['signal', dockerErr(409, 'Container abc is not running'), 'inapplicable'],
    [
      'signal',
      dockerErr(409, 'Container abc is paused. Unpause the container before stopping or killing'),
      'conflict',
    ],
    ['pause', dockerErr(404, 'No such container: abc'), 'gone'],
    ['restart', dockerErr(404, 'No such container: abc'), 'gone'],
    ['unpause', dockerErr(304, ''), 'already'],
    ['pause', dockerErr(500, 'cgroup freezer failed'), 'failed'],
    ['pause', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'failed'],
    [
      'pause',
      Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }),
      'aborted',
    ],
  ] as const)('%s + %s -> %s', (action, err, verdict) => {
    expect(classifyCallError(action, err)).toBe(verdict)
  })
})

describe('settleOutcome', () => {
  it.each([
    // action, verdict, observed, reached, outcome
    ['pause', 'done', 'paused', true, 'ok'],
    ['pause', 'done', 'running', false, 'timeout'],
    ['pause', 'already', 'paused', true, 'already'],
    ['pause', 'inapplicable', 'exited', false, 'skipped'],
    ['pause', 'inapplicable', 'paused', false, 'already'],
    ['pause', 'inapplicable', 'running', false, 'failed'],
    ['pause', 'inapplicable', null, false, 'failed'],
    ['unpause', 'inapplicable', 'running', false, 'already'],
    ['unpause', 'inapplicable', 'created', false, 'skipped'],
    ['unpause', 'inapplicable', 'paused', false, 'failed'],
    ['pause', 'gone', null, false, 'gone'],
    ['pause', 'done', 'gone', false, 'gone'],
    ['restart', 'done', 'running', true, 'ok'],
    ['restart', 'done', 'restarting', false, 'timeout'],
    ['signal', 'done', 'running', false, 'ok'],
    ['signal', 'done', 'exited', false, 'ok'],
    ['signal', 'inapplicable', 'exited', false, 'skipped'],
    ['signal', 'conflict', 'paused', false, 'failed'],
    ['pause', 'aborted', null, false, 'timeout'],
    ['pause', 'failed', 'running', false, 'failed'],
    ['pause', 'failed', 'removing', false, 'gone'],
    ['pause', 'failed', 'exited', false, 'skipped'],
    ['restart', 'failed', 'exited', false, 'failed'],
    ['pause', 'done', 'removing', false, 'timeout'],
  ] as const)('%s/%s seen %s (reached %s) -> %s', (action, verdict, observed, reached, outcome) => {
    expect(settleOutcome(action, verdict, observed, reached)).toBe(outcome)
  })
})

describe('stateContradictsRefusal', () => {
  it.each([
    ['pause', 'inapplicable', 'running', true],
    ['signal', 'inapplicable', 'running', true],
    ['pause', 'inapplicable', 'exited', false],
    ['pause', 'failed', 'running', false],
    ['unpause', 'inapplicable', 'running', false],
    ['pause', 'done', 'running', false],
  ] as const)('%s + %s, seen %s -> look again: %s', (action, verdict, observed, again) => {
    expect(stateContradictsRefusal(action, verdict, observed)).toBe(again)
  })
})
