export interface Tool {
  name: string
  release: string
  file: string
  provided: (env: NodeJS.ProcessEnv) => boolean
}
export const DEFAULT_MIRROR: string
export function binariesMirror(env: NodeJS.ProcessEnv): string
export function builderCacheDir(env: NodeJS.ProcessEnv, platform: string, home: string): string
export function toolsFor(platform: string, arch: string): Tool[]
export function preflightProblem(facts: {
  electronBinary: string | null
  missingTools: Pick<Tool, 'name' | 'release' | 'file'>[]
  mirror: string
  cacheDir: string
  probe: { url: string; error: string | null } | null
}): string | null
export function probeTarget(mirror: string, missingTools: Pick<Tool, 'release' | 'file'>[]): string
export function needsProbe(platform: string, missingTools: unknown[]): boolean
export function gatherFacts(o: {
  electronBinary: string | null
  env?: NodeJS.ProcessEnv
  platform?: string
  arch?: string
  home?: string
}): {
  electronBinary: string | null
  missingTools: Tool[]
  mirror: string
  cacheDir: string
  platform: string
}
export function probeUrl(url: string, timeoutMs?: number): Promise<string | null>
export function packagingPreflight(o: {
  electronBinary: string | null
  env?: NodeJS.ProcessEnv
  platform?: string
  arch?: string
  home?: string
  probe?: (url: string) => Promise<string | null>
}): Promise<string | null>
export function electronDistOf(binary: string): string
