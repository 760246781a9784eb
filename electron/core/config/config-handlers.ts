/**
 * Contract handlers for the config rows. Handlers stay thin: all behaviour (and every error) lives
 * in ConfigService. Save & Restart's port onto it is workflow/config-port.ts.
 */
import type { configOperations } from '../api/contract/config'
import type { HandlersFor } from '../api/define'
import type { ConfigService } from './config-service'

type Ops = typeof configOperations
export type ConfigHandlers = HandlersFor<Ops>

export function createConfigHandlers(service: ConfigService): ConfigHandlers {
  return {
    'config.load': async () => service.load(),
    'config.validate': async (input) => service.validate(input),
    'config.save': async (input) => service.save(input),
    'config.backups': async () => ({ backups: await service.listBackups(), keep: service.keepBackups }),
    'config.diff': async (input) => service.diffBackup(input.backup),
    'config.restore': async (input) => service.restore(input.backup, input.baseHash),
  }
}
