import { readFile } from 'node:fs/promises'
import { World, setWorldConstructor, type IWorldOptions } from '@cucumber/cucumber'
import type { RunReportT } from '../../../../electron/core/api/contract/workflow'
import {
  TRADER,
  buildWorkflowCore,
  createWorkflowFixtures,
  defaultServices,
  engineStates,
  listDir,
  sha256,
  watchEngineEvents,
  withRiskMaxPosition,
  type CoreOptions,
  type EngineEvent,
  type FixtureServiceSpec,
  type WorkflowCore,
  type WorkflowFixtures,
} from '../../../../test-support/workflow-harness'

/** Containers per scenario: enough to be a stack, few enough to keep the feature run short. */
export const CONTAINERS = 6

/**
 * One scenario: fixture containers and a config dir (created by "containers are running"), the real
 * core over them, and what the run and the engine reported.
 */
export class WorkflowWorld extends World {
  services: FixtureServiceSpec[] = defaultServices(CONTAINERS)
  coreOptions: CoreOptions = {}
  fx: WorkflowFixtures | null = null
  core: WorkflowCore | null = null
  /** config.toml as the trader loaded it, its hash and the directory listing at that moment. */
  loaded = ''
  baseHash = ''
  dirAtLoad: string[] = []
  /** The text the trader saves. */
  next = ''
  /** config.toml as another editor left it. */
  external: string | null = null
  report: RunReportT | null = null
  rejected: unknown[] = []
  engineEvents: EngineEvent[] = []
  removed: { id: string; name: string } | null = null
  thaw: (() => void) | null = null
  cleanups: Array<() => unknown> = []

  constructor(options: IWorldOptions) {
    super(options)
  }

  get h(): WorkflowFixtures & WorkflowCore {
    if (!this.fx || !this.core) throw new Error('no containers yet: start with "Given containers are running"')
    return { ...this.fx, ...this.core }
  }

  async start(): Promise<void> {
    this.fx = await createWorkflowFixtures({ services: this.services })
    this.core = await buildWorkflowCore(this.fx, this.coreOptions)
    this.loaded = await readFile(this.fx.configPath, 'utf8')
    this.baseHash = sha256(this.loaded)
    this.dirAtLoad = await listDir(this.fx.configDir)
    this.next = withRiskMaxPosition(this.loaded, '6_000')
  }

  states(ids?: readonly string[]) {
    return engineStates(this.h.docker, ids ?? this.h.ids)
  }

  /** What the Save & Restart button does: one call to workflow.saveAndRestart, engine events recorded around it. */
  async clickSaveAndRestart(times = 1): Promise<void> {
    const { handlers } = this.h
    const watch = await watchEngineEvents(this.h)
    try {
      const input = { text: this.next, baseHash: this.baseHash, reason: 'feature: Save & Restart' }
      const calls = Array.from({ length: times }, () => handlers['workflow.saveAndRestart'](input, TRADER))
      const settled = await Promise.allSettled(calls)
      const ok = settled.find((s) => s.status === 'fulfilled')
      this.report = ok ? ok.value : null
      this.rejected = settled.flatMap((s): unknown[] => (s.status === 'rejected' ? [s.reason] : []))
      if (!ok) throw (settled[0] as PromiseRejectedResult).reason
    } finally {
      this.engineEvents = await watch.stop()
    }
  }

  get run(): RunReportT {
    if (!this.report) throw new Error('Save & Restart has not been clicked')
    return this.report
  }

  async dispose(): Promise<void> {
    this.thaw?.()
    for (const fn of this.cleanups.splice(0).reverse()) await fn()
    await this.core?.stop()
    await this.fx?.dispose()
  }
}

setWorldConstructor(WorkflowWorld)
