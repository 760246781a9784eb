/**
 * How the services section of the settings becomes the running parts' options, in one place: used
 * when the core is built and again each time the services domain re-applies a change live.
 */
import type { ServiceT } from '../api/contract/services'
import type { Settings } from '../settings/settings-schema'
import { parseSettings } from '../settings/load-settings'
import type { StackService } from '../stack/stack-service'
import type { ServiceSpec } from '../stack/types'
import type { SuperviseServiceOptions } from '../supervise/options'
import { resolveServiceOptions } from '../supervise/options'
import type { Supervisor } from '../supervise/supervisor'
import { ServicesManager } from '../services/services-manager'
import { SettingsFile } from '../services/settings-file'
import type { LoadedSettings } from '../settings/load-settings'
import type { ServicesListT } from '../api/contract/services'

/** A supervised service's stopTimeoutS also applies to restarts from the Stack tab. */
export const stackSpecsOf = (services: readonly ServiceT[]): ServiceSpec[] =>
  services.map((s) => ({
    name: s.name,
    selector: s.selector,
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    reload: s.reload,
    ...(s.supervise ? { stopTimeoutS: s.supervise.stopTimeoutS } : {}),
  }))

export const supervisedOf = (services: readonly ServiceT[], heartbeatGraceMs: number): SuperviseServiceOptions[] =>
  services.flatMap((s) => (s.supervise ? [{ name: s.name, ...s.supervise, heartbeatGraceMs }] : []))

export interface LiveServicesParts {
  loaded: LoadedSettings
  stack: StackService
  supervisor: Supervisor
  onChange: (list: ServicesListT) => void
}

/**
 * The services manager over the settings file Stackdeck was started with. A change is validated as
 * at start-up (schema, supervised selectors that overlap) and as the stack engine and the
 * supervisor would take it, then applied to both: the stack's selection and events watch first, so
 * the supervisor's first check of a new service already sees its containers. The schedule's
 * window pauses act on the stack's selection, so they follow with it.
 */
export function liveServices(parts: LiveServicesParts): ServicesManager {
  const { loaded, stack, supervisor } = parts
  const settings: Settings = loaded.settings
  const grace = settings.redis.heartbeatTimeoutMs
  return new ServicesManager({
    file: loaded.source ? new SettingsFile(loaded.source, loaded.hash ?? null) : null,
    initial: settings.services,
    validate: (raw) => {
      const next = parseSettings(raw, loaded.source ?? 'settings').services
      stack.checkServices(stackSpecsOf(next))
      resolveServiceOptions(supervisedOf(next, grace))
      return next
    },
    apply: async (services) => {
      await stack.setServices(stackSpecsOf(services))
      supervisor.setServices(supervisedOf(services, grace))
    },
    onChange: parts.onChange,
  })
}
