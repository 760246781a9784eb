export const INSTALL_DIR: string
export const APP_BINARY: string
export const RESOURCES: string
export const UNPACKED: string
export const HEADLESS_ENTRY: string
export const SYSTEMD_UNIT: string
export const SYSTEM_NODE: string
export const REQUIRED_ENTRIES: ReadonlyArray<{ what: string; path: string }>
export const REQUIRED_CONTROL: ReadonlyArray<{ field: string; includes: string[] }>
export function dependencyEntries(dependencies: Record<string, string>): { what: string; path: string }[]
