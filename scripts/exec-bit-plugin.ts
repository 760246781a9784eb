/**
 * Rollup writes every chunk at 0644, so `out/main/cli.js` (package.json's `bin`) lost its exec bit
 * at each build and `./out/main/cli.js` or a linked `stackdeck` answered "permission denied". This
 * plugin chmods the named entry files to 0755 once they are on disk (writeBundle runs after the
 * write). npm sets the bit itself on install, but not for a plain build in a checkout.
 */
import { chmod } from 'node:fs/promises'
import { join } from 'node:path'

export interface ExecBitPlugin {
  name: string
  writeBundle(options: { dir?: string; file?: string }, bundle: Record<string, unknown>): Promise<void>
}

export function execBit(fileNames: readonly string[]): ExecBitPlugin {
  return {
    name: 'stackdeck-exec-bit',
    async writeBundle(options, bundle) {
      const dir = options.dir ?? (options.file ? join(options.file, '..') : null)
      if (!dir) return
      for (const name of fileNames) {
        // Only what this bundle wrote: the preload and renderer builds run the plugin list too.
        if (Object.hasOwn(bundle, name)) await chmod(join(dir, name), 0o755)
      }
    },
  }
}
