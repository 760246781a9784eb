import type { Locator, Page } from '@playwright/test'

/**
 * A page object wraps the Playwright `page` and names what a user sees and does on one part of the
 * UI (Podman Desktop's tests/playwright/src/model/pages style). Specs speak in these names; the test
 * ids behind them live here, in one place per tab.
 */
export abstract class BasePage {
  constructor(readonly page: Page) {}

  protected id(testId: string): Locator {
    return this.page.getByTestId(testId)
  }
}
