import type { RunReportT } from '@core/api/contract/workflow'

/**
 * The HTTP status of `POST /save-and-restart`. The body is always the run report; the status lets
 * a script branch without parsing it (it used to be 200 even for `outcome: "failed"`). One table,
 * used by the host, by /openapi.json and quoted in the README.
 */
export const SAVE_AND_RESTART_STATUS: ReadonlyArray<{ status: number; when: string }> = [
  { status: 200, when: '`applied`: written, stack resumed, every reload proved.' },
  {
    status: 202,
    when: '`applied_unconfirmed`: written and resumed, but a service did not prove its reload; check it.',
  },
  {
    status: 409,
    when: '`failed` with `errorCode` `conflict` (the file changed on disk, an interrupted run awaits recovery, a container bind-mounts config.toml itself, or `mode: hot` was asked for a change that needs a restart) or `not_found` (a `value` edit of a file that does not exist). Nothing was paused or written. A run already in flight is refused with 409 `busy` (an error, not a report).',
  },
  {
    status: 422,
    when: '`failed` with `errorCode` `invalid_input`, `parse_error` or `schema_error`: the new config was refused. Nothing was paused or written.',
  },
  {
    status: 500,
    when: '`failed` with `errorCode` `io_error` or `internal`: the file could not be written (the old one is in place) or the journal failed.',
  },
  {
    status: 502,
    when: '`failed` at the pause step (the engine could not freeze a container; rolled back), or `unpause_failed` (written, but containers are still paused: see `leftPaused`).',
  },
  { status: 503, when: '`failed` with `errorCode` `unavailable`: Docker or Redis was unreachable.' },
  { status: 504, when: '`failed` with `errorCode` `timeout`: the engine did not confirm in time.' },
]

const BY_CODE: Record<string, number> = {
  conflict: 409,
  busy: 409,
  not_found: 409, // a missing config file: the state on disk does not match the request
  invalid_input: 422,
  parse_error: 422,
  schema_error: 422,
  io_error: 500,
  internal: 500,
  partial_failure: 502,
  unavailable: 503,
  timeout: 504,
}

export function saveAndRestartStatus(r: Pick<RunReportT, 'outcome' | 'errorCode' | 'steps'>): number {
  switch (r.outcome) {
    case 'applied':
      return 200
    case 'applied_unconfirmed':
      return 202
    case 'unpause_failed':
      return 502
    case 'failed': {
      const byCode = r.errorCode ? BY_CODE[r.errorCode] : undefined
      if (byCode) return byCode
      // No typed error: the step that failed says whose fault it was.
      const failed = r.steps.find((s) => s.status === 'failed')?.step
      if (failed === 'validate') return 422
      if (failed === 'pause' || failed === 'unpause') return 502
      return 500
    }
  }
}
