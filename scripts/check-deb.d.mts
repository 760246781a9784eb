export function parseListing(listing: string): Set<string>
export function parseControl(text: string): Map<string, string>
export function debProblems(
  paths: Set<string>,
  control: Map<string, string>,
  entries: ReadonlyArray<{ what: string; path: string }>,
  controlRules?: ReadonlyArray<{ field: string; includes: string[] }>,
): string[]
export function requiredEntries(root?: string): { what: string; path: string }[]
export function checkDeb(deb: string, entries?: ReadonlyArray<{ what: string; path: string }>): string[]
