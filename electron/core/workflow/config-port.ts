import type { ConfigService } from '../config/config-service'
import type { ConfigPort } from './ports'

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
        get touched() {
          return staged.touched
        },
      }
    },
    currentHash: () => service.currentHash(),
    isValidOnDisk: () => service.isValidOnDisk(),
  }
}
