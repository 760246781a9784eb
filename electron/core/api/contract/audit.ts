import { Type, type Static } from 'typebox'
import type { Door } from '../call-context'
import { ev, op } from '../define'

/**
 * Contract rows of the audit log: one append-only JSON-lines file recording every control act
 * (who, through which door, what, on what, why, and how it ended).
 */

export const AUDIT_DOORS = [
  'ipc',
  'http',
  'ws',
  'scheduler',
  'supervisor',
  'system',
] as const satisfies readonly Door[]
export const AUDIT_OUTCOMES = ['ok', 'failed', 'partial', 'refused'] as const

export const AuditDoor = Type.Union([
  Type.Literal('ipc'),
  Type.Literal('http'),
  Type.Literal('ws'),
  Type.Literal('scheduler'),
  Type.Literal('supervisor'),
  Type.Literal('system'),
])
export const AuditOutcome = Type.Union(
  [Type.Literal('ok'), Type.Literal('failed'), Type.Literal('partial'), Type.Literal('refused')],
  {
    description:
      'ok: done; failed: attempted and did not work; partial: some of it worked (or it could not be confirmed); refused: rejected before acting (conflict, busy, forbidden, invalid).',
  },
)
export type AuditOutcomeT = Static<typeof AuditOutcome>
export type AuditDoorT = Static<typeof AuditDoor>
// The audit's doors are exactly the call context's doors; this line stops compiling if they part.
export const DOORS_MATCH: [AuditDoorT] extends [Door] ? ([Door] extends [AuditDoorT] ? true : never) : never =
  true

export const AuditRecord = Type.Object({
  seq: Type.Integer({
    minimum: 1,
    description: 'Strictly increasing within one log file; use it as the query cursor.',
  }),
  at: Type.String({
    format: 'date-time',
    description: 'When the record was written (this machine\u2019s clock).',
  }),
  who: Type.String({ description: 'OS user, token name or subsystem.' }),
  door: AuditDoor,
  action: Type.String({
    description: 'Usually the operation name, e.g. stack.pause or workflow.saveAndRestart.',
  }),
  target: Type.Optional(
    Type.String({ description: 'What was acted on, e.g. service:scanner, agent:exec-1, stack.' }),
  ),
  reason: Type.Optional(Type.String()),
  outcome: AuditOutcome,
  detail: Type.Optional(
    Type.Unknown({ description: 'Redacted input summary and digest, error code, timings.' }),
  ),
  configDiffHash: Type.Optional(
    Type.String({
      description: 'Identifies a config change (sha256), to match it with backups and run reports.',
    }),
  ),
})
export type AuditRecordT = Static<typeof AuditRecord>

export const AuditQuery = Type.Object(
  {
    since: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'Cursor: records with a larger seq, oldest first. Absent: the newest records.',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    action: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description:
          'Exact action or a prefix at a dot boundary: bus.killswitch matches bus.killswitch.engage.',
      }),
    ),
    who: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    outcome: Type.Optional(AuditOutcome),
    door: Type.Optional(AuditDoor),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Records at or after this time.' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Records at or before this time.' })),
  },
  { additionalProperties: false },
)
export type AuditQueryT = Static<typeof AuditQuery>

export const AuditPage = Type.Object({
  records: Type.Array(AuditRecord, { description: 'Ascending seq.' }),
  nextCursor: Type.Integer({
    minimum: 0,
    description: 'Pass as `since` to continue after this page (or to follow new records).',
  }),
  more: Type.Boolean({
    description: 'More matching records exist beyond this page: newer ones with `since`, older ones without.',
  }),
  lastSeq: Type.Integer({ minimum: 0, description: 'The newest seq in the log.' }),
})
export type AuditPageT = Static<typeof AuditPage>

export const auditOperations = {
  'audit.query': op({
    summary:
      'Read the audit log: newest records, or page forward from a cursor, filtered by action, who, outcome and time.',
    scope: 'read',
    input: AuditQuery,
    result: AuditPage,
    http: { method: 'GET', path: '/audit' },
  }),
} as const

export const auditEvents = {
  'audit.appended': ev({ summary: 'A record was written (durably) to the audit log.', payload: AuditRecord }),
} as const
