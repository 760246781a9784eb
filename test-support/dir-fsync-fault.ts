import type * as FsPromises from 'node:fs/promises'

/**
 * `node:fs/promises` with a directory fsync that fails on demand (`state.code` set to EINVAL, EIO…):
 * every filesystem on this machine supports it, so the tolerated and the refused failures of the
 * durable write can only be reached this way. For a `vi.mock` factory; files are untouched.
 */
export function withFailingDirSync(
  real: typeof FsPromises,
  state: { code: string | null },
): typeof FsPromises {
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      const fh = await real.open(...args)
      if (state.code === null || !(await fh.stat()).isDirectory()) return fh
      const code = state.code
      return Object.assign(Object.create(fh) as typeof fh, {
        sync: () => Promise.reject(Object.assign(new Error(`fsync: ${code}`), { code })),
        close: () => fh.close(),
      })
    },
  }
}
