import type { Locator } from '@playwright/test'
import { BasePage } from './base-page'

/** The supervision panel (on the Stack tab): each supervised service, its failures and its reset. */
export class SupervisePage extends BasePage {
  service(name: string): SupervisedService {
    return new SupervisedService(this.page.locator(`[data-testid=supervision-service][data-service=${name}]`))
  }
}

export class SupervisedService {
  constructor(readonly root: Locator) {}
  get failure(): Locator {
    return this.root.getByTestId('supervision-failure')
  }
  /** "<restarts> / <consecutive failures>" */
  get counts(): Locator {
    return this.root.getByTestId('supervision-counts')
  }
  get reset(): Locator {
    return this.root.getByTestId('supervision-reset')
  }
}
