import type { AuditRecordT } from '../api/contract/audit'
import type { SupervisionAudit } from './ports'

export type SupervisionAuditEntry = Omit<AuditRecordT, 'seq' | 'at'>

/**
 * A supervisor record as an audit-log entry. The log keeps only its own fields (who, door, action,
 * target, reason, outcome, detail), so the service and the container go into both `target` (what a
 * reader scans) and `detail` (what a script filters on); dropping them is what made "what was
 * restarted?" unanswerable before. The supervisor's own `at` is kept in detail: the log stamps the
 * record with the time it was written.
 */
export function supervisionAuditEntry(rec: SupervisionAudit): SupervisionAuditEntry {
  const container = rec.container === 'all' ? { all: true } : { id: rec.container.id, name: rec.container.name }
  const containerText = rec.container === 'all' ? 'all' : rec.container.name
  return {
    who: rec.who,
    door: rec.door,
    action: rec.action,
    target: `service:${rec.service} container:${containerText}`,
    reason: rec.reason,
    outcome: rec.outcome,
    detail: { ...rec.detail, service: rec.service, container, supervisorAt: rec.at },
  }
}

/**
 * Stackdeck's own announcement channels. They are subscribed as exact patterns so that the event
 * log stores them with their own type (`GET /bus/events?type=supervise.restarted` finds them),
 * whatever the trader's `redis.patterns` say: a restart announced where no one listens is untrue.
 */
export const SUPERVISION_CHANNELS = ['supervise.restarted', 'supervise.failed'] as const

export function withSupervisionChannels(patterns: readonly string[]): string[] {
  return [...new Set([...patterns, ...SUPERVISION_CHANNELS])]
}
