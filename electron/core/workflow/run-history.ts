import { appendFile, mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { RunReportT } from '../api/contract/workflow'

/** Past Save & Restart reports: newest in memory, every one appended to a JSONL file. */
export class RunHistory {
  private runs: RunReportT[] = []
  private writing: Promise<void> = Promise.resolve()

  constructor(
    private readonly path: string | null,
    private readonly keep = 100,
  ) {}

  async load(): Promise<void> {
    if (!this.path) return
    try {
      const lines = (await readFile(this.path, 'utf8')).split('\n').filter(Boolean)
      this.runs = lines
        .slice(-this.keep)
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as RunReportT]
          } catch {
            return [] // a torn last line from a crash is skipped
          }
        })
        .reverse()
    } catch {
      this.runs = []
    }
  }

  add(r: RunReportT): void {
    this.runs.unshift(r)
    this.runs.length = Math.min(this.runs.length, this.keep)
    const path = this.path
    if (!path) return
    this.writing = this.writing
      .then(() => mkdir(dirname(path), { recursive: true }))
      .then(() => appendFile(path, JSON.stringify(r) + '\n'))
      .catch((err: unknown) => console.error('[workflow] cannot record run history:', err))
  }

  list(limit: number): RunReportT[] {
    return this.runs.slice(0, limit)
  }

  get last(): RunReportT | null {
    return this.runs[0] ?? null
  }

  flush(): Promise<void> {
    return this.writing
  }
}
