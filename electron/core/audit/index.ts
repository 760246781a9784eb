export {
  AuditLog,
  type AuditEntry,
  type AuditLogInfo,
  type AuditLogOptions,
  type AuditSink,
} from './audit-log'
export { createAuditHandlers } from './audit-handlers'
export {
  auditedHandlers,
  defaultOutcomeOf,
  defaultTarget,
  outcomeOfError,
  type AnyHandler,
  type AuditDescription,
  type AuditWrapOptions,
} from './audited-handlers'
export { canonicalJson, digestInput, redactSecrets, type InputDigest } from './input-digest'
