import type { HandlersFor } from '../api/define'
import type { DiscoveryT, servicesOperations } from '../api/contract/services'
import type { ServicesManager } from './services-manager'

type Ops = typeof servicesOperations
export type ServicesHandlers = HandlersFor<Ops>

/** Contract handlers over the services manager; discovery is the stack engine's, passed in by the root. */
export function createServicesHandlers(manager: ServicesManager, discover: () => Promise<DiscoveryT>): ServicesHandlers {
  return {
    'services.list': async () => manager.list(),
    'services.create': (input) => manager.create(input),
    'services.update': (input) => manager.update(input),
    'services.delete': (input) => manager.delete(input),
    'engine.discover': () => discover(),
  }
}
