import type { auditOperations } from '../api/contract/audit'
import type { HandlersFor } from '../api/define'
import type { AuditLog } from './audit-log'

/** Contract handlers of the audit domain; the log itself is built in the composition root. */
export function createAuditHandlers(audit: Pick<AuditLog, 'query'>): HandlersFor<typeof auditOperations> {
  return {
    'audit.query': (input) => audit.query(input),
  }
}
