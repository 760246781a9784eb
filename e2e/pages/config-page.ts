import type { Locator } from '@playwright/test'
import { BasePage } from './base-page'

export type RunStep = 'validate' | 'pause' | 'write' | 'unpause' | 'reload' | 'verify'

/** The Config tab: the form and raw editor, the diff, Save, Save & Restart, backups and the stack's views. */
export class ConfigPage extends BasePage {
  readonly view = this.id('config-view')
  readonly hash = this.id('config-hash')
  readonly unsavedIndicator = this.id('unsaved-indicator')
  readonly formMode = this.id('mode-form')
  readonly rawMode = this.id('mode-raw')
  readonly rawEditor = this.page.locator('#cfg-raw')
  readonly discardEdits = this.page.getByRole('button', { name: 'Discard edits' })

  // ---- fields and their errors ----------------------------------------------------------------------
  field(pointer: string): Locator {
    return this.id(`field-${pointer}`)
  }
  /** The number input of a field, by its JSON pointer (its label is the last segment). */
  numberField(pointer: string): Locator {
    return this.field(pointer).getByRole('spinbutton', { name: pointer.split('/').pop() })
  }
  fieldError(pointer: string): Locator {
    return this.id(`field-error-${pointer}`)
  }
  /** The issues summary: every issue, or those of one path. */
  issues(path?: string): Locator {
    return this.page.locator(path === undefined ? '[data-testid=issue]' : `[data-testid=issue][data-path="${path}"]`)
  }
  rawErrorLine(line: number): Locator {
    return this.id(`raw-error-line-${line}`)
  }

  // ---- the change list and diff ---------------------------------------------------------------------
  changeRow(pointer: string, within: Locator | null = null): Locator {
    const sel = `[data-testid=change-row][data-pointer="${pointer}"]`
    return within ? within.locator(sel) : this.page.locator(sel)
  }
  readonly restartNote = this.id('restart-note')
  readonly unifiedDiff = this.id('unified-diff')

  // ---- saving -----------------------------------------------------------------------------------------
  readonly save = this.id('config-save')
  readonly saveRestart = this.id('save-restart')
  readonly applyModeHint = this.id('apply-mode-hint')
  readonly forcePaused = this.id('force-paused')
  readonly singleFileRefusal = this.id('single-file-refusal')
  refusalFix(containerName: string): Locator {
    return this.singleFileRefusal.locator(`[data-testid=refusal-fix][data-name="${containerName}"]`)
  }
  /** One step of the Save & Restart run list (data-status: running, ok, failed, skipped). */
  step(name: RunStep): Locator {
    return this.id(`step-${name}`)
  }
  readonly runSummary = this.id('run-summary')
  readonly runFreeze = this.id('run-freeze')
  /** Per container of the last run, the proof it sees the file; `{ matches: 'true' }` filters. */
  fileProofs(attrs: Record<string, string> = {}): Locator {
    const sel = `[data-testid=file-proof]${Object.entries(attrs)
      .map(([k, v]) => `[data-${k}=${v}]`)
      .join('')}`
    return this.page.locator(`[data-testid=container-checks] ${sel}`)
  }

  // ---- the file changing on disk ------------------------------------------------------------------------
  readonly diskBanner = this.id('disk-banner')
  readonly keepMyEdits = this.id('disk-keep')
  readonly loadFromDisk = this.id('disk-load')

  // ---- backups ------------------------------------------------------------------------------------------
  readonly backupRows = this.id('backup-row')
  backup(name: string): Locator {
    return this.page.locator(`[data-testid=backup-row][data-name="${name}"]`)
  }
  readonly backupDiff = this.page.locator('[data-testid=backup-diff]')

  // ---- how the stack sees this file -------------------------------------------------------------------
  readonly configViews = this.id('config-views-panel')
  readonly configViewsSummary = this.configViews.getByTestId('config-views-summary')
  readonly checkConfigViews = this.configViews.getByTestId('check-config-views')
  readonly configViewVerdicts = this.configViews.getByTestId('config-view-verdict')
  configViewEntry(containerName: string): Locator {
    return this.configViews.locator(`[data-testid=config-view-entry][data-name="${containerName}"]`)
  }
  /** Entries by attribute, e.g. `{ kind: 'directory' }` or `{ verdict: 'match' }`. */
  configViewEntries(attrs: Record<string, string>): Locator {
    const sel = `[data-testid=config-view-entry]${Object.entries(attrs)
      .map(([k, v]) => `[data-${k}=${v}]`)
      .join('')}`
    return this.configViews.locator(sel)
  }
}
