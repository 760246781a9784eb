import { expect, type Locator } from '@playwright/test'
import { BasePage } from './base-page'

export type TabName = 'Stack' | 'Config' | 'Monitor' | 'Scheduler' | 'Audit'
export type ToastKind = 'success' | 'error'

/** What every tab shares: the header (truth line and its chips), the tab list, toasts and the confirm dialog. */
export class AppShell extends BasePage {
  // ---- header: the truth line ---------------------------------------------------------------------
  readonly header = this.page.locator('header')
  readonly truthLine = this.id('truth-line')
  // The truth line's chips, all in the header.
  readonly hostChip = this.header.getByTestId('host-chip')
  readonly stackChip = this.header.getByTestId('stack-chip')
  readonly tradingChip = this.header.getByTestId('trading-chip')
  readonly killswitchChip = this.header.getByTestId('killswitch-chip')
  readonly busChip = this.header.getByTestId('bus-chip')
  /** The Monitor tab's bus connection state (ready, connecting, …). */
  readonly busState = this.id('bus-state')

  // ---- the panel and its staleness ----------------------------------------------------------------
  readonly panelWrap = this.id('panel-wrap')
  readonly staleBanner = this.id('stale-banner')
  readonly staleOverlay = this.id('stale-overlay')

  // ---- tabs -----------------------------------------------------------------------------------------
  readonly tabs = this.page.getByRole('tab')
  tab(name: TabName): Locator {
    return this.page.getByRole('tab', { name })
  }
  async openTab(name: TabName): Promise<void> {
    await this.tab(name).click()
  }

  // ---- toasts and the confirm dialog ----------------------------------------------------------------
  readonly successToasts = this.id('toast-success')
  readonly errorToasts = this.id('toast-error')
  toast(kind: ToastKind, hasText: string | RegExp): Locator {
    return this.id(`toast-${kind}`).filter({ hasText })
  }
  readonly confirmDialog = this.id('confirm-dialog')
  readonly confirmReason = this.id('confirm-reason')
  readonly confirmOk = this.id('confirm-ok')
  /** Confirms the open dialog, giving a reason first when one is asked for. */
  async confirm(reason?: string): Promise<void> {
    if (reason !== undefined) await this.confirmReason.fill(reason)
    await this.confirmOk.click()
  }

  // ---- connecting -----------------------------------------------------------------------------------
  /** Opens the UI with a token in the URL (the headless host's launch link). */
  async open(url: string, token: string): Promise<void> {
    await this.page.goto(`${url}/#token=${token}`)
  }
  /**
   * Pastes a new token URL into the open tab: only the fragment changes, so the browser fires
   * `hashchange` and does not load the page again.
   */
  async pasteTokenUrl(token: string): Promise<void> {
    await this.page.evaluate((t) => (location.hash = `#token=${t}`), token)
  }
  /** The host chip once the WebSocket door is open: `host <address> · <kind> on <machine>: open`. */
  readonly apiOpen = this.hostChip.and(this.page.locator('[data-state="open"]'))
  readonly tokenRefused = this.page.getByText('The host refused this token.')
  /** Opens the UI and waits until the WebSocket door is open. */
  async openConnected(url: string, token: string): Promise<void> {
    await this.open(url, token)
    await expect(this.apiOpen).toBeVisible()
  }
}
