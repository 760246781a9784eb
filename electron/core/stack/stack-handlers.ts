import { CoreError } from '../errors'
import type { HandlersFor } from '../api/define'
import type { stackOperations } from '../api/contract/stack'
import type { StackService } from './stack-service'

type Ops = typeof stackOperations
export type StackHandlers = HandlersFor<Ops>

export interface ConfigViewOptions {
  /** settings config.path, absolute. */
  configPath: string
  /** settings config.singleFileMounts: what Save & Restart does with a single-file bind mount. */
  singleFileMounts: 'refuse' | 'write-in-place'
}

/** Contract handlers over a StackService; `stack.resume` is the contract's name for unpause. */
export function createStackHandlers(stack: StackService, config?: ConfigViewOptions): StackHandlers {
  const opts = (input: { target?: { service?: string; container?: string }; reason?: string }) => ({
    ...(input.target ? { target: input.target } : {}),
    ...(input.reason !== undefined ? { reason: input.reason } : {}),
  })
  return {
    'stack.list': async () => stack.list(),
    'stack.status': async () => stack.status(),
    'stack.pause': async (input, ctx) => stack.pause(ctx, opts(input)),
    'stack.resume': async (input, ctx) => stack.unpause(ctx, opts(input)),
    'stack.restart': async (input, ctx) => stack.restart(ctx, opts(input)),
    'stack.signal': async (input, ctx) => stack.signal(ctx, input.signal, opts(input)),
    'stack.configViews': async (input) => {
      if (!config) throw new CoreError('unavailable', 'this host has no config.toml configured')
      // Single-file mounts are proved from inside (exec cat): the archive read shows the host file.
      const read = input.readFiles === true
      const report = await stack.configViews(config.configPath, read ? { readFiles: true, readInside: ['file'] } : {})
      return { ...report, singleFileMounts: config.singleFileMounts }
    },
  }
}
