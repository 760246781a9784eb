import { Type, type Static } from 'typebox'
import { ev, op } from '../define'

const StepName = Type.Union([
  Type.Literal('validate'),
  Type.Literal('pause'),
  Type.Literal('write'),
  Type.Literal('unpause'),
  Type.Literal('reload'),
  Type.Literal('verify'),
])

const ContainerOutcome = Type.Object({
  id: Type.String(),
  name: Type.String(),
  service: Type.String(),
  endpoint: Type.String(),
  outcome: Type.String(),
  error: Type.Optional(Type.String()),
  ms: Type.Number(),
})

export const StepReport = Type.Object({
  step: StepName,
  status: Type.Union([Type.Literal('running'), Type.Literal('ok'), Type.Literal('failed'), Type.Literal('skipped'), Type.Literal('warning')]),
  startedAt: Type.Optional(Type.String()),
  endedAt: Type.Optional(Type.String()),
  ms: Type.Optional(Type.Number()),
  detail: Type.Optional(Type.String()),
  containers: Type.Optional(Type.Array(ContainerOutcome)),
})

const ContainerRefT = Type.Object({ id: Type.String(), name: Type.String(), service: Type.String(), endpoint: Type.String() })

/**
 * Whether one container sees the file the run wrote: read where the container sees config.toml,
 * through the engine's archive API (directory mounts), or from inside with exec (single-file
 * mounts, whose pinned inode the archive read cannot show), and compared with the new hash.
 */
export const ContainerFileProof = Type.Object({
  view: Type.Union(
    [Type.Literal('directory'), Type.Literal('file'), Type.Literal('volume'), Type.Literal('none'), Type.Literal('unknown')],
    { description: 'How the container mounts config.toml (stack.configViews).' },
  ),
  containerPath: Type.Union([Type.String(), Type.Null()]),
  via: Type.Union([Type.Literal('archive'), Type.Literal('exec'), Type.Literal('none')]),
  sha256: Type.Union([Type.String(), Type.Null()]),
  matches: Type.Union([Type.Boolean(), Type.Null()], { description: 'Same bytes as written; null: could not be read (see note).' }),
  note: Type.String(),
})
export type ContainerFileProofT = Static<typeof ContainerFileProof>

/**
 * One container's part in a run, checked at the end: what the run found, whether the run itself
 * paused it, what state it must be in afterwards, what inspect saw, and what its reload did.
 */
export const ContainerCheck = Type.Object({
  id: Type.String(),
  name: Type.String(),
  service: Type.String(),
  endpoint: Type.String(),
  before: Type.Union([Type.Literal('running'), Type.Literal('paused')], { description: 'Its state when the run started.' }),
  pausedByRun: Type.Boolean({ description: 'The run paused it (and so had to resume it). A container paused by someone else never is.' }),
  expected: Type.Union([Type.Literal('running'), Type.Literal('paused')], {
    description: 'running for what the run paused; paused for what someone else had paused (the run leaves it so).',
  }),
  after: Type.String({ description: 'State seen by inspect at the end: running, paused, exited, missing or unknown.' }),
  ok: Type.Boolean({ description: 'after equals expected.' }),
  reload: Type.Union(
    [Type.Literal('proved'), Type.Literal('not_proved'), Type.Literal('unverifiable'), Type.Literal('signalled'), Type.Literal('deferred'), Type.Literal('not_sent')],
    { description: 'deferred: it was paused, so it was not signalled (a signal would unfreeze it) and has not re-read config.toml.' },
  ),
  note: Type.String({ description: 'The same in plain words, e.g. "paused by the trader, left paused, reload deferred".' }),
  file: Type.Optional(ContainerFileProof),
})
export type ContainerCheckT = Static<typeof ContainerCheck>

export const RunOutcome = Type.Union([
  Type.Literal('applied'),
  Type.Literal('applied_unconfirmed'),
  Type.Literal('failed'),
  Type.Literal('unpause_failed'),
])

export const RunReport = Type.Object({
  runId: Type.String(),
  who: Type.String(),
  door: Type.String(),
  reason: Type.Optional(Type.String()),
  startedAt: Type.String(),
  endedAt: Type.String(),
  totalMs: Type.Number(),
  outcome: RunOutcome,
  message: Type.String({ description: 'What happened and, on failure, what to do.' }),
  errorCode: Type.Optional(Type.String()),
  steps: Type.Array(StepReport),
  diff: Type.Object({
    summary: Type.String(),
    changes: Type.Array(Type.Object({ pointer: Type.String(), apply: Type.String() })),
  }),
  backup: Type.Union([Type.String(), Type.Null()]),
  newHash: Type.Union([Type.String(), Type.Null()]),
  freezeWindowMs: Type.Union([Type.Number(), Type.Null()], {
    description: 'How long the containers were frozen: first pause to last unpause; 0 for a hot apply. freezeClock says whose clock measured it.',
  }),
  freezeClock: Type.Optional(
    Type.Union([Type.Literal('engine'), Type.Literal('stackdeck'), Type.Literal('none')], {
      description: "engine: from the engine's own pause/unpause events (what the containers saw); stackdeck: Stackdeck's clock around its calls (events unavailable); none: nothing was paused.",
    }),
  ),
  freezeWindowClientMs: Type.Optional(
    Type.Union([Type.Number(), Type.Null()], { description: "The same window on Stackdeck's clock: first pause request to last unpause confirmed." }),
  ),
  mode: Type.Optional(
    Type.Union([Type.Literal('paused'), Type.Literal('hot')], {
      description: 'paused: the stack was frozen around the write; hot: every changed field is x-apply hot, so nothing was paused.',
    }),
  ),
  writeMode: Type.Optional(
    Type.Union([Type.Literal('atomic'), Type.Literal('in-place')], {
      description: 'atomic: temp file and rename; in-place: rewritten in the same inode for single-file bind mounts (settings config.singleFileMounts), not crash-atomic.',
    }),
  ),
  reload: Type.Object({
    proved: Type.Array(Type.String()),
    notProved: Type.Array(Type.String()),
    unverifiable: Type.Array(Type.String()),
    deferred: Type.Optional(
      Type.Array(Type.String(), {
        description: 'Services with containers paused by someone else: not signalled, reload deferred until they are resumed and reloaded.',
      }),
    ),
  }),
  containers: Type.Optional(
    Type.Array(ContainerCheck, {
      description: 'Per container: paused before the run and still paused, or paused by the run and running again. Absent in reports older than this field.',
    }),
  ),
  leftPaused: Type.Array(ContainerRefT, { description: 'Containers still paused at the end: each one needs the trader.' }),
  pausedBefore: Type.Array(ContainerRefT, { description: 'Containers already paused by the trader; left as they were.' }),
})
export type RunReportT = Static<typeof RunReport>
export type StepReportT = Static<typeof StepReport>

export const RecoveryInfo = Type.Object({
  runId: Type.String(),
  who: Type.String(),
  startedAt: Type.String(),
  phase: Type.String(),
  stillPaused: Type.Array(ContainerRefT),
  pausedBefore: Type.Optional(
    Type.Array(ContainerRefT, {
      description: 'Containers someone else had paused before the interrupted run: recovery never resumes them.',
    }),
  ),
  config: Type.Union([
    Type.Literal('old'),
    Type.Literal('new'),
    Type.Literal('other'),
    Type.Literal('invalid'),
    Type.Literal('missing'),
  ], { description: 'Which config is on disk compared with the interrupted run.' }),
  backup: Type.Union([Type.String(), Type.Null()]),
})

/**
 * After resuming what an interrupted run left paused with the NEW config on disk: the run's last
 * steps, reload and verify, so the services actually read it. Also run at start-up when nothing
 * was left paused but the new file was already in place.
 */
export const RecoveryFollowUp = Type.Object({
  reload: Type.Object({
    proved: Type.Array(Type.String()),
    notProved: Type.Array(Type.String()),
    unverifiable: Type.Array(Type.String()),
    deferred: Type.Array(Type.String()),
  }),
  containers: Type.Array(ContainerCheck),
  ok: Type.Boolean({ description: 'Every container sees the new file and every verifiable reload was proved.' }),
  detail: Type.String(),
})

export const WorkflowStatus = Type.Object({
  running: Type.Union([
    Type.Null(),
    Type.Object({ runId: Type.String(), who: Type.String(), door: Type.String(), startedAt: Type.String(), step: Type.String() }),
  ]),
  recovery: Type.Union([Type.Null(), RecoveryInfo]),
  last: Type.Union([Type.Null(), RunReport]),
})

export const workflowOperations = {
  'workflow.saveAndRestart': op({
    summary:
      'Validate the new config.toml, pause the stack, back up and write the file, unpause, send reload signals and verify them. One run at a time.',
    scope: 'operate',
    audit: true,
    input: Type.Object(
      {
        text: Type.Optional(Type.String({ maxLength: 1_000_000, description: 'The complete new config.toml.' })),
        value: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'New values, patched into the file keeping comments.' })),
        baseHash: Type.String({ pattern: '^[a-f0-9]{64}$', description: 'sha256 of the file as loaded; a different file on disk is a conflict.' }),
        reason: Type.Optional(Type.String({ maxLength: 500 })),
        verifyReload: Type.Optional(Type.Boolean({ default: true })),
        mode: Type.Optional(
          Type.Union([Type.Literal('auto'), Type.Literal('paused'), Type.Literal('hot')], {
            description:
              'auto (default: settings workflow.applyMode): apply without pausing when every changed field is x-apply hot, else pause. paused: always pause. hot: never pause; refused when a changed field needs a restart.',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    result: RunReport,
    http: { method: 'POST', path: '/save-and-restart' },
  }),
  'workflow.status': op({
    summary: 'The run in flight (if any), an interrupted run awaiting recovery, and the last report.',
    scope: 'read',
    input: Type.Object({}, { additionalProperties: false }),
    result: WorkflowStatus,
    http: { method: 'GET', path: '/workflow' },
  }),
  'workflow.history': op({
    summary: 'Reports of past runs, newest first.',
    scope: 'read',
    input: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })) }, { additionalProperties: false }),
    result: Type.Object({ runs: Type.Array(RunReport) }),
    http: { method: 'GET', path: '/workflow/history' },
  }),
  'workflow.recover': op({
    summary: 'After a crash mid-run: resume the containers the interrupted run left paused, or dismiss the notice.',
    scope: 'operate',
    audit: true,
    input: Type.Object({ action: Type.Union([Type.Literal('resume'), Type.Literal('dismiss')]) }, { additionalProperties: false }),
    result: Type.Object({
      resumed: Type.Array(ContainerOutcome),
      dismissed: Type.Boolean(),
      afterResume: Type.Optional(RecoveryFollowUp),
    }),
    http: { method: 'POST', path: '/workflow/recover' },
  }),
} as const

export const workflowEvents = {
  'workflow.progress': ev({
    summary: 'A Save & Restart step started or ended.',
    payload: Type.Object({ runId: Type.String(), step: StepReport }),
  }),
  'workflow.finished': ev({ summary: 'A Save & Restart run ended, with its report.', payload: RunReport }),
  'workflow.recovery': ev({ summary: 'An interrupted run was found (or cleared).', payload: Type.Union([Type.Null(), RecoveryInfo]) }),
} as const
