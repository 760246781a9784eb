/**
 * Contract handlers for the config rows, and the narrow port Save & Restart uses. Handlers stay
 * thin: all behaviour (and every error) lives in ConfigService.
 */
import type { CallContext } from '../api/call-context'
import type { configOperations } from '../api/contract/config'
import type { InputOf, ResultOf } from '../api/define'
import type { ConfigPort } from '../workflow/ports'
import type { ConfigService } from './config-service'

type Ops = typeof configOperations
export type ConfigHandlers = {
  [N in keyof Ops]: (input: InputOf<Ops[N]>, ctx: CallContext) => Promise<ResultOf<Ops[N]>>
}

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

/** Save & Restart's view of the config domain: validate first, write later, inside the run. */
export function createConfigPort(service: ConfigService): ConfigPort {
  return {
    async prepare(input) {
      const p = await service.prepareSave(input)
      return {
        newText: p.newText,
        newHash: p.newHash,
        newValue: p.newValue,
        baseHash: p.baseHash,
        diff: { changes: p.diff.changes.map((c) => ({ pointer: c.pointer, apply: c.apply })), summary: p.diff.summary },
      }
    },
    async stage(prepared, mode) {
      const staged = await service.stageWrite(prepared.newText, prepared.baseHash, mode)
      return {
        backup: staged.backup,
        hash: staged.hash,
        commit: () => staged.commit(),
        finish: async () => ({ warnings: (await staged.finish()).warnings }),
        abandon: () => staged.abandon(),
      }
    },
    currentHash: () => service.currentHash(),
    isValidOnDisk: () => service.isValidOnDisk(),
  }
}
