export const SOURCE_DIRS: string[]
export const SOURCE_FILE: RegExp
export const OUTPUTS: string[]
export const STAMP: string
export function sourceFiles(root: string): string[]
export function sourceHash(root: string): string
export function staleness(root: string): { stale: boolean; reason: string; hash: string }
export function writeStamp(root: string, hash: string): void
export function buildIfStale(
  root: string,
  opts?: { force?: boolean; build?: (root: string) => number; log?: (line: string) => void },
): number
