import type { CallContext } from '../api/call-context'
import type { auditOperations } from '../api/contract/audit'
import type { InputOf, ResultOf } from '../api/define'
import type { AuditLog } from './audit-log'

type QueryOp = (typeof auditOperations)['audit.query']

/** Contract handlers of the audit domain; the log itself is built in the composition root. */
export function createAuditHandlers(audit: Pick<AuditLog, 'query'>): {
  'audit.query': (input: InputOf<QueryOp>, ctx: CallContext) => Promise<ResultOf<QueryOp>>
} {
  return {
    'audit.query': (input) => audit.query(input),
  }
}
