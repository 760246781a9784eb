import type { Locator } from '@playwright/test'
import { BasePage } from './base-page'

/** The Scheduler tab: the trading window editor, its preview, the live trading state and the override. */
export class SchedulePage extends BasePage {
  // ---- the editor -------------------------------------------------------------------------------------
  readonly editor = this.id('schedule-editor')
  readonly editorAlerts = this.editor.getByRole('alert')
  readonly startTime = this.id('start-time')
  readonly stopTime = this.id('stop-time')
  readonly timezone = this.id('timezone')
  day(d: 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun'): Locator {
    return this.id(`day-${d}`)
  }
  readonly holidayDate = this.id('holiday-date')
  readonly addHoliday = this.id('holiday-add')
  readonly holidays = this.id('holiday-item')
  readonly earlyCloses = this.id('early-item')
  readonly removeEarlyClose = this.page.getByRole('button', { name: /Remove early close/ })
  async setWindow(start: string, stop: string): Promise<void> {
    await this.startTime.fill(start)
    await this.stopTime.fill(stop)
  }

  // ---- preview ----------------------------------------------------------------------------------------
  readonly previewState = this.id('preview-state')
  readonly previewTransitions = this.id('preview-transitions').getByTestId('transition-row')

  // ---- applying -----------------------------------------------------------------------------------------
  readonly applyStatus = this.id('apply-status')
  readonly saveRestart = this.id('save-restart')

  // ---- trading now, and the override --------------------------------------------------------------------
  readonly tradingHeadline = this.id('trading-headline')
  readonly tradingNext = this.id('trading-next')
  readonly tradingSource = this.id('trading-source')
  readonly overrideUntil = this.id('override-until')
  readonly overrideReason = this.id('override-reason')
  readonly forceOn = this.id('force-on')
  readonly overrideBanner = this.id('override-banner')
  readonly clearOverride = this.id('clear-override')
}
