import type Docker from 'dockerode'
import type { ContainerHealth, ContainerState } from '../../electron/core/stack/types'
import type { StartOutcome, SupervisedContainer, SupervisedStack } from '../../electron/core/supervise/ports'

const STATES: ReadonlySet<string> = new Set(['running', 'paused', 'restarting', 'exited', 'dead', 'created', 'removing'])
const HEALTHS: ReadonlySet<string> = new Set(['healthy', 'unhealthy', 'starting'])
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * A minimal real SupervisedStack over dockerode, for the integration test: list by label, restart
 * with `t`, start, and confirm by inspect that a NEW run is up (StartedAt moved on and it runs).
 * The composition root adapts the stack module instead; this one keeps the test independent of it.
 */
export class DockerSupervisedStack implements SupervisedStack {
  constructor(
    private readonly docker: Docker,
    /** Service name -> the labels every container of it carries. */
    private readonly selectors: Record<string, Record<string, string>>,
    private readonly confirmTimeoutMs = 10_000,
  ) {}

  async containersOf(service: string): Promise<SupervisedContainer[]> {
    const selector = this.selectors[service]
    if (!selector) throw new Error(`no selector for ${service}`)
    const list = await this.docker.listContainers({ all: true, filters: { label: Object.entries(selector).map(([k, v]) => `${k}=${v}`) } })
    const found = await Promise.all(
      list.map(async (c) => {
        try {
          return toSupervised(await this.docker.getContainer(c.Id).inspect(), service)
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode === 404) return null // removed meanwhile
          throw err
        }
      }),
    )
    return found.filter((c): c is SupervisedContainer => c !== null)
  }

  async restart(c: SupervisedContainer, opts: { stopTimeoutS: number }): Promise<StartOutcome> {
    const before = (await this.docker.getContainer(c.id).inspect()).State.StartedAt
    await this.docker.getContainer(c.id).restart({ t: opts.stopTimeoutS })
    return this.confirmNewRun(c.id, before)
  }

  async start(c: SupervisedContainer): Promise<StartOutcome> {
    const before = (await this.docker.getContainer(c.id).inspect()).State.StartedAt
    try {
      await this.docker.getContainer(c.id).start()
    } catch (err) {
      // 304: already started (by someone else); the confirm below says whether it is a new run.
      if ((err as { statusCode?: number }).statusCode !== 304) throw err
    }
    return this.confirmNewRun(c.id, before)
  }

  private async confirmNewRun(id: string, before: string): Promise<StartOutcome> {
    const deadline = Date.now() + this.confirmTimeoutMs
    for (;;) {
      const s = (await this.docker.getContainer(id).inspect()).State
      const state = (STATES.has(s.Status) ? s.Status : 'dead') as ContainerState
      if (s.StartedAt !== before) {
        if (s.Running && !s.Restarting) return { ok: true, state }
        if (state === 'exited' || state === 'dead') return { ok: false, state, error: `exited right after starting (code ${s.ExitCode})` }
      }
      if (Date.now() > deadline) return { ok: false, state, error: `not running again within ${this.confirmTimeoutMs} ms` }
      await sleep(100)
    }
  }
}

function toSupervised(info: Docker.ContainerInspectInfo, service: string): SupervisedContainer {
  const health = info.State.Health?.Status
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    endpoint: 'local',
    service,
    state: (STATES.has(info.State.Status) ? info.State.Status : 'dead') as ContainerState,
    health: (health && HEALTHS.has(health) ? health : 'none') as ContainerHealth,
    labels: info.Config.Labels ?? {},
    startedAt: info.State.StartedAt && !info.State.StartedAt.startsWith('0001-') ? info.State.StartedAt : null,
  }
}
